using Infrastructure.Mesh.Api.Resources;

namespace Infrastructure.Mesh.Api.Tests.Resources;

public sealed class MeshResourceReaderTests
{
    private const string Bookinfo = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
          creationTimestamp: "2024-01-01T00:00:00Z"
          uid: 1234
        spec:
          hosts: [reviews]
          http:
          - match:
            - headers:
                end-user:
                  exact: jason
            route:
            - destination: {host: reviews, subset: v2}
          - route:
            - destination: {host: reviews, subset: v1}
              weight: 90
            - destination: {host: reviews, subset: v3}
              weight: 10
            timeout: 1.5s
            retries: {attempts: 3, perTryTimeout: 300ms, retryOn: "5xx,connect-failure,503"}
        status:
          conditions: []
        ---
        apiVersion: networking.istio.io/v1beta1
        kind: DestinationRule
        metadata: {name: reviews, namespace: default}
        spec:
          host: reviews
          trafficPolicy:
            loadBalancer: {simple: ROUND_ROBIN}
            outlierDetection: {consecutive5xxErrors: 3, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 50}
          subsets:
          - name: v1
            labels: {version: v1}
          - name: v2
            labels: {version: 2}
        ---
        apiVersion: security.istio.io/v1beta1
        kind: PeerAuthentication
        metadata: {name: default, namespace: istio-system}
        spec:
          mtls: {mode: STRICT}
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: ratings}
        spec:
          selector: {matchLabels: {app: ratings}}
          action: DENY
          rules:
          - from: [{source: {principals: ["cluster.local/ns/default/sa/productpage"]}}]
            to: [{operation: {methods: [DELETE], paths: ["/ratings/*"]}}]
        ---
        """;

    [Fact]
    public void Read_Bookinfo_AllFourKinds()
    {
        var result = MeshResourceReader.Read(Bookinfo, "bookinfo.yaml");

        Assert.Empty(result.Errors);
        Assert.Equal(4, result.Resources.Count);
        var vs = result.Resources[0].VirtualService;
        Assert.Equal("reviews", vs.Hosts.Single());
        Assert.Equal("jason", vs.Http[0].Match[0].Headers["end-user"].Exact);
        Assert.Equal(90, vs.Http[1].Route[0].Weight);
        Assert.Equal("1.5s", vs.Http[1].Timeout);
        Assert.Equal(3, vs.Http[1].Retries.Attempts);
        Assert.Equal("default", result.Resources[0].Metadata.Namespace);
        Assert.Equal("bookinfo.yaml", result.Resources[0].Source);
        var dr = result.Resources[1].DestinationRule;
        Assert.Equal(LoadBalancerSettings.Types.SimpleLB.RoundRobin, dr.TrafficPolicy.LoadBalancer.Simple);
        Assert.Equal(3u, dr.TrafficPolicy.OutlierDetection.Consecutive5XxErrors);
        Assert.Equal("2", dr.Subsets[1].Labels["version"]);
        Assert.Equal(PeerAuthentication.Types.MutualTLS.Types.Mode.Strict, result.Resources[2].PeerAuthentication.Mtls.Mode);
        Assert.Equal("istio-system", result.Resources[2].Metadata.Namespace);
        Assert.Equal(AuthorizationPolicy.Types.Action.Deny, result.Resources[3].AuthorizationPolicy.Action);
    }

    [Fact]
    public void Read_Json_SameAsYaml()
    {
        const string json = """
            {"apiVersion": "networking.istio.io/v1alpha3", "kind": "VirtualService", "metadata": {"name": "ratings"},
             "spec": {"hosts": ["ratings"], "http": [{"route": [{"destination": {"host": "ratings", "port": {"number": 9080}}}],
                      "fault": {"abort": {"httpStatus": 503, "percentage": {"value": 50}}}}]}}
            """;
        var result = MeshResourceReader.Read(json, "ratings.json");

        Assert.Empty(result.Errors);
        Assert.Equal(503, result.Resources[0].VirtualService.Http[0].Fault.Abort.HttpStatus);
        Assert.Equal(9080u, result.Resources[0].VirtualService.Http[0].Route[0].Destination.Port.Number);
    }

    [Fact]
    public void Read_ProtoFieldNames_Accepted()
    {
        var result = MeshResourceReader.Read(Vs("http: [{route: [{destination: {host: a}}], mirror_percentage: {value: 5}, mirror: {host: b}}]"), "f.yaml");
        Assert.Empty(result.Errors);
        Assert.Equal(5, result.Resources[0].VirtualService.Http[0].MirrorPercentage.Value);
    }

    [Fact]
    public void Read_KindList_ReadsItems()
    {
        const string text = """
            apiVersion: v1
            kind: List
            items:
            - {apiVersion: networking.istio.io/v1, kind: DestinationRule, metadata: {name: a}, spec: {host: a}}
            - {apiVersion: networking.istio.io/v1, kind: DestinationRule, metadata: {name: b}, spec: {host: b}}
            """;
        Assert.Equal(2, MeshResourceReader.Read(text, "l.yaml").Resources.Count);
    }

    [Fact]
    public void Read_OneBadDocument_OthersKept()
    {
        var text = Vs("http: [{route: [{destination: {host: a}, weight: -1}]}]", name: "bad") + "\n---\n" + Vs("http: [{route: [{destination: {host: a}}]}]", name: "good");
        var result = MeshResourceReader.Read(text, "two.yaml");

        Assert.Equal("good", Assert.Single(result.Resources).Metadata.Name);
        var error = Assert.Single(result.Errors);
        Assert.Equal("two.yaml", error.Source);
        Assert.Equal("VirtualService default/bad", error.Resource);
        Assert.Equal("spec.http[0].route[0].weight", error.Field);
        Assert.Equal("two.yaml: VirtualService default/bad: spec.http[0].route[0].weight: weight -1 < 0", error.ToString());
    }

    [Fact]
    public void Read_TruncatedFlowCollections_FileError_NotAnException()
    {
        // YamlDotNet throws InvalidOperationException (not YamlException) for this one: a half-saved file.
        var result = MeshResourceReader.Read("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\nspec:\n  hosts: [reviews\n  http:\n  - route: {\n", "half.yaml");
        Assert.True(result.FileError);
        Assert.Contains("not valid YAML", Assert.Single(result.Errors).Message);
    }

    [Fact]
    public void Read_AliasBomb_RejectedQuickly()
    {
        var text = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bomb}\nspec:\n  hosts: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
        for (var i = 1; i < 9; i++)
        {
            text += $"  h{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n";
        }
        var result = MeshResourceReader.Read(text, "bomb.yaml");

        Assert.Empty(result.Resources);
        Assert.Contains("too large", Assert.Single(result.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NotYaml_FileError()
    {
        var result = MeshResourceReader.Read("spec: [unclosed", "broken.yaml");
        Assert.True(result.FileError);
        Assert.Contains("not valid YAML", Assert.Single(result.Errors).Message);
        Assert.Equal("broken.yaml", result.Errors[0].Source);
    }

    [Fact]
    public void ReadFile_Missing_FileError()
    {
        var result = MeshResourceReader.ReadFile(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N") + ".yaml"));
        Assert.True(result.FileError);
    }

    [Fact]
    public void Read_SameNameTwice_SecondRejected()
    {
        var text = Vs("http: [{route: [{destination: {host: a}}]}]") + "\n---\n" + Vs("http: [{route: [{destination: {host: a}}]}]");
        var result = MeshResourceReader.Read(text, "dup.yaml");
        Assert.Single(result.Resources);
        Assert.Contains("defined twice", Assert.Single(result.Errors).Message);
    }

    // Bad inputs: each must be rejected, naming this field, with a message containing this text.
    [Theory]
    [InlineData("kind: Gateway\napiVersion: networking.istio.io/v1\nmetadata: {name: x}\nspec: {}", "kind", "unsupported kind")]
    [InlineData("kind: VirtualService\napiVersion: networking.istio.io/v2\nmetadata: {name: x}\nspec: {hosts: [a]}", "apiVersion", "unsupported apiVersion")]
    [InlineData("kind: PeerAuthentication\napiVersion: networking.istio.io/v1\nmetadata: {name: x}\nspec: {}", "apiVersion", "unsupported apiVersion")]
    [InlineData("apiVersion: networking.istio.io/v1\nmetadata: {name: x}\nspec: {}", "kind", "kind is required")]
    [InlineData("kind: DestinationRule\napiVersion: networking.istio.io/v1\nspec: {host: a}", "metadata.name", "required")]
    [InlineData("kind: DestinationRule\napiVersion: networking.istio.io/v1\nmetadata: {name: x}\nspec: {host: a}\nextra: 1", "extra", "unknown field")]
    [InlineData("kind: DestinationRule\napiVersion: networking.istio.io/v1\nmetadata: {name: x}\nspec: {host: a, hostt: b}", "spec.hostt", "unknown field \"hostt\"")]
    public void Read_BadEnvelope_Rejected(string text, string field, string message) => AssertRejected(text, field, message);

    [Theory]
    [InlineData("hosts: []\nhttp: [{route: [{destination: {host: a}}]}]", "spec.hosts", "at least one host")]
    [InlineData("http: [{route: [{destination: {host: a}}]}]", "spec.hosts", "at least one host")]
    [InlineData("hosts: [a]\nhttp: [{timeout: 1s}]", "spec.http[0]", "route or redirect is required")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}, weight: -5}]}]", "spec.http[0].route[0].weight", "weight -5 < 0")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}, weight: 0}, {destination: {host: b}, weight: 0}]}]", "spec.http[0].route", "total destination weight = 0")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}}, {destination: {host: b}, weight: 1}, {destination: {host: c}, weight: -1}]}]", "spec.http[0].route[2].weight", "< 0")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}}], retries: {attempts: -1}}]", "spec.http[0].retries.attempts", "negative")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}}], retries: {attempts: 2, retryOn: \"5xx,bogus\"}}]", "spec.http[0].retries.retryOn", "bogus is not a valid retryOn value")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}}], timeout: 500us}]", "spec.http[0].timeout", "at least 1ms")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}}], timeout: 1.0005s}]", "spec.http[0].timeout", "whole milliseconds")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}}], timeout: 10}]", "spec.http[0].timeout", "missing unit")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}}], timeout: -1s}]", "spec.http[0].timeout", "at least 1ms")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}}], retries: {attempts: 1, perTryTimeout: 1x}}]", "spec.http[0].retries.perTryTimeout", "unknown unit")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}}], fault: {}}]", "spec.http[0].fault", "at least delay or abort")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}}], fault: {delay: {fixedDelay: 1s, percentage: {value: 101}}}}]", "spec.http[0].fault.delay.percentage.value", "range [0, 100]")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}}], fault: {abort: {httpStatus: 700}}}]", "spec.http[0].fault.abort.httpStatus", "invalid abort http status 700")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}}], fault: {abort: {httpStatus: 199}}}]", "spec.http[0].fault.abort.httpStatus", "invalid abort http status")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}}], fault: {abort: {percentage: {value: 5}}}}]", "spec.http[0].fault.abort", "httpStatus or grpcStatus")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}}], fault: {delay: {percentage: {value: 5}}}}]", "spec.http[0].fault.delay.fixedDelay", "fixedDelay")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}}], fault: {abort: {httpStatus: 500, percentage: {value: -1}}}}]", "spec.http[0].fault.abort.percentage.value", "range")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}}], mirror: {host: b}, mirrorPercentage: {value: 100.5}}]", "spec.http[0].mirrorPercentage.value", "range")]
    [InlineData("hosts: [a]\nhttp: [{match: [{uri: {regex: \"(\"}}], route: [{destination: {host: a}}]}]", "spec.http[0].match[0].uri.regex", "not a valid")]
    [InlineData("hosts: [a]\nhttp: [{match: [{uri: {regex: \"(a)\\\\1\"}}], route: [{destination: {host: a}}]}]", "spec.http[0].match[0].uri.regex", "regex")]
    [InlineData("hosts: [a]\nhttp: [{match: [{headers: {x-user: {regex: \"(?=a)b\"}}}], route: [{destination: {host: a}}]}]", "spec.http[0].match[0].headers[x-user].regex", "regex")]
    [InlineData("hosts: [a]\nhttp: [{match: [{headers: {X-User: {exact: a}}}], route: [{destination: {host: a}}]}]", "spec.http[0].match[0].headers[X-User]", "lowercase")]
    [InlineData("hosts: [a]\nhttp: [{match: [{uri: {exact: /a, prefix: /b}}], route: [{destination: {host: a}}]}]", "spec.http[0].match[0].uri.prefix", "only one of")]
    [InlineData("hosts: [a]\nhttp: [{match: [{method: {glob: GET}}], route: [{destination: {host: a}}]}]", "spec.http[0].match[0].method.glob", "unknown field")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {subset: v1}}]}]", "spec.http[0].route[0].destination.host", "host is required")]
    [InlineData("hosts: [a]\nhttp: [{route: [{weight: 100}]}]", "spec.http[0].route[0].destination", "destination is required")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}, weight: heavy}]}]", "spec.http[0].route[0].weight", "not an integer")]
    [InlineData("hosts: [a]\nhttp: {route: []}", "spec.http", "expected a list")]
    [InlineData("hosts: a", "spec.hosts", "expected a list")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}}], redirect: {uri: /x}}]", "spec.http[0].redirect", "both route and redirect")]
    [InlineData("hosts: [a]\nhttp: [{redirect: {uri: /x, redirectCode: 200}}]", "spec.http[0].redirect.redirectCode", "not a valid redirect code")]
    [InlineData("hosts: [\"Bad_Host!\"]\nhttp: [{route: [{destination: {host: a}}]}]", "spec.hosts[0]", "invalid host")]
    [InlineData("hosts: [a]\nhttp: [{route: [{destination: {host: a}, headers: {request: {set: {\"bad name\": x}}}}]}]", "spec.http[0].route[0].headers.request", "invalid header name")]
    public void Read_BadVirtualService_Rejected(string spec, string field, string message) => AssertRejected(Vs(spec, withHosts: false), field, message);

    [Fact]
    public void Read_RegexTooLong_Rejected() =>
        AssertRejected(Vs($"hosts: [a]\nhttp: [{{match: [{{uri: {{regex: \"{new string('a', 1025)}\"}}}}], route: [{{destination: {{host: a}}}}]}}]", withHosts: false),
            "spec.http[0].match[0].uri.regex", "too long");

    [Theory]
    [InlineData("subsets: [{name: v1}]", "spec.host", "must have a host")]
    [InlineData("host: a\nsubsets: [{name: v1, labels: {version: v1}}, {name: v1, labels: {version: v2}}]", "spec.subsets[1].name", "duplicate subset names: v1")]
    [InlineData("host: a\nsubsets: [{labels: {version: v1}}]", "spec.subsets[0].name", "subset name is required")]
    [InlineData("host: a\ntrafficPolicy: {loadBalancer: {simple: FASTEST}}", "spec.trafficPolicy.loadBalancer.simple", "unknown value \"FASTEST\"")]
    [InlineData("host: a\ntrafficPolicy: {loadBalancer: {simple: ROUND_ROBIN, consistentHash: {useSourceIp: true}}}", "spec.trafficPolicy.loadBalancer.consistentHash", "only one of")]
    [InlineData("host: a\ntrafficPolicy: {outlierDetection: {interval: 0.5ms}}", "spec.trafficPolicy.outlierDetection.interval", "at least 1ms")]
    [InlineData("host: a\ntrafficPolicy: {outlierDetection: {maxEjectionPercent: 150}}", "spec.trafficPolicy.outlierDetection.maxEjectionPercent", "[0, 100]")]
    [InlineData("host: a\ntrafficPolicy: {outlierDetection: {consecutive5xxErrors: -1}}", "spec.trafficPolicy.outlierDetection.consecutive5xxErrors", "non-negative")]
    [InlineData("host: a\ntrafficPolicy: {connectionPool: {tcp: {maxConnections: -1}}}", "spec.trafficPolicy.connectionPool.tcp.maxConnections", "negative")]
    [InlineData("host: a\ntrafficPolicy: {connectionPool: {tcp: {connectTimeout: 1}}}", "spec.trafficPolicy.connectionPool.tcp.connectTimeout", "missing unit")]
    [InlineData("host: a\ntrafficPolicy: {connectionPool: {http: {http2MaxRequests: -3}}}", "spec.trafficPolicy.connectionPool.http.http2MaxRequests", "negative")]
    [InlineData("host: a\ntrafficPolicy: {loadBalancer: {consistentHash: {httpCookie: {ttl: 1s}}}}", "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.name", "name is required")]
    [InlineData("host: a\nsubsets: [{name: v1, trafficPolicy: {outlierDetection: {baseEjectionTime: 1us}}}]", "spec.subsets[0].trafficPolicy.outlierDetection.baseEjectionTime", "at least 1ms")]
    [InlineData("host: a\nsubsets: [{name: V_1}]", "spec.subsets[0].name", "invalid")]
    [InlineData("host: a\nsubsets: [{name: v1, labels: {version: \"a b\"}}]", "spec.subsets[0].labels[version]", "invalid label value")]
    public void Read_BadDestinationRule_Rejected(string spec, string field, string message) =>
        AssertRejected($"apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {{name: x}}\nspec:\n{Indent(spec)}", field, message);

    [Theory]
    [InlineData("PeerAuthentication", "mtls: {mode: STRICTER}", "spec.mtls.mode", "unknown value \"STRICTER\"")]
    [InlineData("PeerAuthentication", "portLevelMtls: {8080: {mode: DISABLE}}", "spec.portLevelMtls", "requires a selector")]
    [InlineData("PeerAuthentication", "selector: {matchLabels: {app: a}}\nportLevelMtls: {http: {mode: DISABLE}}", "spec.portLevelMtls[http]", "not a port number")]
    [InlineData("PeerAuthentication", "selector: {matchLabels: {app: \"a*\"}}", "spec.selector.matchLabels[app]", "wildcard")]
    [InlineData("AuthorizationPolicy", "action: REJECT", "spec.action", "unknown value \"REJECT\"")]
    [InlineData("AuthorizationPolicy", "action: CUSTOM\nrules: [{}]", "spec.action", "CUSTOM")]
    [InlineData("AuthorizationPolicy", "rules: [{from: [{source: {}}]}]", "spec.rules[0].from[0].source", "must not be empty")]
    [InlineData("AuthorizationPolicy", "rules: [{from: [{}]}]", "spec.rules[0].from[0].source", "must not be empty")]
    [InlineData("AuthorizationPolicy", "rules: [{to: [{operation: {}}]}]", "spec.rules[0].to[0].operation", "must not be empty")]
    [InlineData("AuthorizationPolicy", "rules: [{to: [{operation: {paths: [ratings]}}]}]", "spec.rules[0].to[0].operation.paths[0]", "must start with /")]
    [InlineData("AuthorizationPolicy", "rules: [{to: [{operation: {ports: [http]}}]}]", "spec.rules[0].to[0].operation.ports[0]", "invalid port")]
    [InlineData("AuthorizationPolicy", "rules: [{to: [{operation: {methods: [\"\"]}}]}]", "spec.rules[0].to[0].operation.methods[0]", "empty value")]
    [InlineData("AuthorizationPolicy", "rules: [{from: [{source: {principals: [\"cluster.local/*/sa/x\"]}}]}]", "spec.rules[0].from[0].source.principals[0]", "wildcard")]
    [InlineData("AuthorizationPolicy", "rules: [{from: [{source: {ipBlocks: [\"10.0.0.0/33\"]}}]}]", "spec.rules[0].from[0].source.ipBlocks[0]", "invalid IP")]
    [InlineData("AuthorizationPolicy", "rules: [{when: [{key: \"request.headers[x-a]\"}]}]", "spec.rules[0].when[0]", "at least one of values or notValues")]
    [InlineData("AuthorizationPolicy", "rules: [{when: [{key: request.colour, values: [red]}]}]", "spec.rules[0].when[0].key", "unknown attribute")]
    [InlineData("AuthorizationPolicy", "rules: [{frm: []}]", "spec.rules[0].frm", "unknown field")]
    [InlineData("AuthorizationPolicy", "rules: [{from: [{source: {principals: cluster.local/ns/default/sa/a}}]}]", "spec.rules[0].from[0].source.principals", "expected a list")]
    public void Read_BadSecurityPolicy_Rejected(string kind, string spec, string field, string message) =>
        AssertRejected($"apiVersion: security.istio.io/v1\nkind: {kind}\nmetadata: {{name: x, namespace: ns1}}\nspec:\n{Indent(spec)}", field, message);

    [Fact]
    public void Read_EmptyAllowPolicy_Accepted()
    {
        // ALLOW with no rules is valid (it denies everything), as is a {} rule (matches everything).
        var result = MeshResourceReader.Read("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: deny-all}\nspec: {}\n---\n"
            + "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: allow-all}\nspec: {rules: [{}]}", "p.yaml");
        Assert.Empty(result.Errors);
        Assert.Equal(2, result.Resources.Count);
    }

    [Fact]
    public void Validate_BuiltResource_NamesSourceResourceAndField()
    {
        var resource = new MeshResource
        {
            Kind = "VirtualService",
            Metadata = new ObjectMeta { Name = "r", Namespace = "default" },
            Source = "pushed",
            VirtualService = new VirtualService { Http = { new HTTPRoute() } },
        };

        var errors = MeshResourceValidator.Validate(resource);

        Assert.Contains(errors, e => e.Field == "spec.hosts" && e.Resource == "VirtualService default/r" && e.Source == "pushed");
        Assert.Contains(errors, e => e.Field == "spec.http[0]");
    }

    [Fact]
    public void NackMessage_JoinsAndCaps()
    {
        var one = new ResourceError("pushed", "VirtualService default/a", "spec.hosts", "virtual service must have at least one host");
        Assert.Equal("pushed: VirtualService default/a: spec.hosts: virtual service must have at least one host", MeshResourceValidator.NackMessage([one]));

        var many = Enumerable.Repeat(one, 200).ToList();
        var message = MeshResourceValidator.NackMessage(many);
        Assert.True(message.Length <= MeshResourceValidator.MaxNackMessageLength);
        Assert.EndsWith("more", message, StringComparison.Ordinal);
    }

    private static void AssertRejected(string text, string field, string message)
    {
        var result = MeshResourceReader.Read(text, "bad.yaml");
        Assert.Empty(result.Resources);
        Assert.True(result.Errors.Count > 0, "expected an error");
        Assert.True(result.Errors.Any(e => e.Field == field && e.Message.Contains(message, StringComparison.Ordinal) && e.Source == "bad.yaml"),
            $"expected {field}: ...{message}...; got:\n{string.Join("\n", result.Errors)}");
    }

    private static string Vs(string spec, string name = "x", bool withHosts = true) =>
        $"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: {name}}}\nspec:\n{Indent((withHosts ? "hosts: [a]\n" : "") + spec)}";

    private static string Indent(string text) => string.Join("\n", text.Split('\n').Select(l => "  " + l));
}
