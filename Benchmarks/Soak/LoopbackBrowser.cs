using System.Net;

namespace Infrastructure.Soak;

/// <summary>
/// Just enough of a browser for a login flow over plain HTTP on 127.0.0.1: follows redirects (a POST answered 302/303
/// becomes a GET) and keeps cookies — including <c>Secure</c> ones, which browsers accept and send on loopback (a
/// "potentially trustworthy" origin), and which ASP.NET Core's OpenID Connect correlation and nonce cookies always are.
/// <see cref="CookieContainer"/> alone never sends a Secure cookie over http, so the callback would fail.
/// </summary>
internal sealed class LoopbackBrowser : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };
    private readonly CookieContainer _jar = new();

    /// <summary>Sends a request and follows its redirects; the answer's <c>RequestMessage.RequestUri</c> is where it ended.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, HttpContent? content = null, IDictionary<string, string>? headers = null)
    {
        for (var hop = 0; hop < 10; hop++)
        {
            using var request = new HttpRequestMessage(method, uri) { Content = content };
            foreach (var (k, v) in headers ?? new Dictionary<string, string>()) { request.Headers.TryAddWithoutValidation(k, v); }
            var cookies = _jar.GetCookieHeader(AsSecure(uri));
            if (cookies.Length > 0) { request.Headers.Add("Cookie", cookies); }
            var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
            if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
            {
                foreach (var c in setCookies) { _jar.SetCookies(AsSecure(uri), c); }
            }
            var status = (int)response.StatusCode;
            if (status is < 300 or > 399 || response.Headers.Location is null)
            {
                // The request is disposed with its using; keep the address for the caller.
                response.RequestMessage = new HttpRequestMessage(method, uri);
                return response;
            }
            var next = new Uri(uri, response.Headers.Location);
            response.Dispose();
            if (status is 301 or 302 or 303 && method != HttpMethod.Get)
            {
                method = HttpMethod.Get;
                content = null;
                headers = null;
            }
            uri = next;
        }
        throw new SoakFlowException("too many redirects");
    }

    /// <summary>The same address as https, so the jar stores and returns Secure cookies for it (loopback only).</summary>
    private static Uri AsSecure(Uri uri) =>
        uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback ? new UriBuilder(uri) { Scheme = Uri.UriSchemeHttps, Port = uri.Port }.Uri : uri;

    public void Dispose() => _http.Dispose();
}
