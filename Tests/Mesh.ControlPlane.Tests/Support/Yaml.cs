namespace Infrastructure.Mesh.ControlPlane.Tests.Support;

/// <summary>Resource texts the tests write.</summary>
internal static class Yaml
{
    public static string ReviewsSplit(int v1, int v2) => $$$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews}
        spec:
          hosts: [reviews]
          http:
          - route:
            - destination: {host: reviews, subset: v1}
              weight: {{{v1}}}
            - destination: {host: reviews, subset: v2}
              weight: {{{v2}}}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: reviews}
        spec:
          host: reviews
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        """;

    public const string Policies = """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: istio-system}
        spec: {mtls: {mode: STRICT}}
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: ratings-delete}
        spec:
          selector: {matchLabels: {app: ratings}}
          action: DENY
          rules:
          - from: [{source: {principals: ["cluster.local/ns/default/sa/productpage"]}}]
            to: [{operation: {methods: [DELETE]}}]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: other-namespace, namespace: prod}
        spec: {}
        """;
}
