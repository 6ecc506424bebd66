using System.Globalization;
using Infrastructure.Mesh.Api;
using HeaderOperations = Infrastructure.Mesh.Api.Headers.Types.HeaderOperations;

namespace Infrastructure.Mesh.Sidecar.Outbound;

/// <summary>What a matched rule changes on the way: the Host, the path, request and response headers.</summary>
internal sealed record RouteAction(string Host, string? Path, IReadOnlyList<HeaderOperations> Request, IReadOnlyList<HeaderOperations> Response)
{
    /// <summary>The rule's rewrite and header operations, then the chosen destination's.</summary>
    public static RouteAction For(string host, string path, HTTPRoute? rule, HTTPMatchRequest? match, HTTPRouteDestination? destination)
    {
        var request = new List<HeaderOperations>(2);
        var response = new List<HeaderOperations>(2);
        foreach (var headers in new[] { rule?.Headers, destination?.Headers })
        {
            if (headers?.Request is { } rq)
            {
                request.Add(rq);
            }
            if (headers?.Response is { } rs)
            {
                response.Add(rs);
            }
        }
        var rewrite = rule?.Rewrite;
        return new RouteAction(
            string.IsNullOrEmpty(rewrite?.Authority) ? host : rewrite.Authority,
            string.IsNullOrEmpty(rewrite?.Uri) ? null : Rewrite(path, rewrite.Uri, match),
            request,
            response);
    }

    /// <summary>Istio's uri rewrite: the matched prefix is replaced; with any other match the whole path.</summary>
    internal static string Rewrite(string path, string uri, HTTPMatchRequest? match) =>
        match?.Uri is { MatchTypeCase: StringMatch.MatchTypeOneofCase.Prefix } prefix && path.StartsWith(prefix.Prefix, StringComparison.Ordinal)
            ? uri + path[prefix.Prefix.Length..]
            : uri;

    public void ApplyTo(HttpRequestMessage message)
    {
        foreach (var ops in Request)
        {
            foreach (var name in ops.Remove)
            {
                message.Headers.Remove(name);
            }
            foreach (var (name, value) in ops.Set)
            {
                message.Headers.Remove(name);
                message.Headers.TryAddWithoutValidation(name, value);
            }
            foreach (var (name, value) in ops.Add)
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }
        }
    }

    public void ApplyTo(HttpResponse response)
    {
        foreach (var ops in Response)
        {
            foreach (var name in ops.Remove)
            {
                response.Headers.Remove(name);
            }
            foreach (var (name, value) in ops.Set)
            {
                response.Headers[name] = value;
            }
            foreach (var (name, value) in ops.Add)
            {
                response.Headers.Append(name, value);
            }
        }
    }

    /// <summary>The Location of an Istio redirect: each of scheme, authority, port and uri replaced when given.</summary>
    public static string RedirectLocation(HttpRequest request, HTTPRedirect redirect, HTTPMatchRequest? match)
    {
        var scheme = string.IsNullOrEmpty(redirect.Scheme) ? "http" : redirect.Scheme;
        var host = string.IsNullOrEmpty(redirect.Authority) ? request.Host.Host : redirect.Authority;
        var port = redirect.Port > 0 ? ":" + redirect.Port.ToString(CultureInfo.InvariantCulture)
            : string.IsNullOrEmpty(redirect.Authority) && request.Host.Port is { } p ? ":" + p.ToString(CultureInfo.InvariantCulture) : "";
        var path = request.Path.Value ?? "/";
        var uri = string.IsNullOrEmpty(redirect.Uri) ? path : Rewrite(path, redirect.Uri, match);
        return $"{scheme}://{host}{port}{uri}{request.QueryString}";
    }
}
