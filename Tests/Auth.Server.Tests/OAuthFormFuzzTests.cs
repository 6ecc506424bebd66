using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Infrastructure.Auth.Server.Tests;

/// <summary>
/// Mutated OAuth form bodies, query strings and redirect URIs (deterministic seed, bounded count) against a real
/// Auth.Server process: never a 5xx, never a redirect to a URI the client did not register, and the server still issues
/// tokens afterwards.
/// </summary>
[Collection(RealServerCollection.Name)]
public sealed class OAuthFormFuzzTests(RealServer server)
{
    private const int Seed = 20_261_207;
    private const int VariantsPerRequest = 120;

    // Text that breaks form encoding, URI syntax or UTF-8 once percent-decoded.
    private static readonly string[] Tokens =
    [
        "%00", "%01", "%0B", "%0D%0A", "%7F", "%", "%Z", "%C3", "%C3%28", "%ED%A0%80", "%F4%90%80%80", "%EF%BF%BE", "&", "=", "&&", "==",
        "+", "%2B", "%26", "%3D", "%23", "#", "?", "%3F", "/", "%2F", "%5C", "\\", "..", "%2E%2E", "@", "%40", ":", "//", "%2F%2F",
        "evil.example", "%40evil.example", "\t", " ", "%20", "\u00e9", "%E2%80%AE", "[", "]", "{", "}", "<", ">", "\"", "'", "*", "-1",
        "99999999999999999999", new string('a', 300), "client_id=", "redirect_uri=", "scope=", "grant_type=",
    ];

    private static readonly string[] RegisteredRedirects = ["http://127.0.0.1:5100/signin-oidc", "http://127.0.0.1:5101/signin-oidc"];

    private static readonly (string Method, string Path, string Form, AuthenticationHeaderValue? Auth)[] Requests =
    [
        ("POST", "/connect/token", "grant_type=client_credentials&scope=catalog.read", Protocol.Basic(RealServer.FuzzClient, RealServer.FuzzSecret)),
        ("POST", "/connect/token", "grant_type=password&username=fuzz-user&password=fuzz-user&scope=openid%20catalog.read&client_id=fuzz-client&client_secret=fuzz-secret", null),
        ("POST", "/connect/token", "grant_type=authorization_code&code=abc&redirect_uri=http%3A%2F%2F127.0.0.1%3A5100%2Fsignin-oidc&code_verifier=" + new string('v', 43), Protocol.Basic("web-bff", "web-bff-secret")),
        ("POST", "/connect/token", "grant_type=refresh_token&refresh_token=abc", Protocol.Basic(RealServer.FuzzClient, RealServer.FuzzSecret)),
        ("POST", "/connect/introspect", "token=abc&token_type_hint=access_token", Protocol.Basic("catalog", "catalog-secret")),
        ("POST", "/connect/revocation", "token=abc&token_type_hint=refresh_token", Protocol.Basic(RealServer.FuzzClient, RealServer.FuzzSecret)),
        ("POST", "/connect/userinfo", "access_token=abc", null),
        ("GET", "/connect/authorize", Authorize, null),
        ("POST", "/connect/authorize", Authorize, null),
        ("GET", "/connect/endsession", "post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A5100%2Fsignout-callback-oidc&state=s", null),
    ];

    private const string Authorize = "client_id=web-bff&redirect_uri=http%3A%2F%2F127.0.0.1%3A5100%2Fsignin-oidc&response_type=code&scope=openid%20catalog.read"
        + "&state=s&nonce=n&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";

    [Fact]
    public async Task MutatedForms_NeverAnswer5xx_NeverRedirectOffTheRegisteredUris_ServerStillIssuesTokens()
    {
        var random = new Random(Seed);
        var failures = new List<string>();
        using var http = server.Browser();
        foreach (var (method, path, form, auth) in Requests)
        {
            for (var i = 0; i < VariantsPerRequest; i++)
            {
                var mutated = Mutate(form, random);
                using var request = method == "GET"
                    ? new HttpRequestMessage(HttpMethod.Get, path + "?" + mutated)
                    : new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(mutated)) };
                if (request.Content is not null)
                {
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
                }
                request.Headers.Authorization = auth;
                HttpResponseMessage r;
                try
                {
                    r = await http.SendAsync(request);
                }
                catch (UriFormatException)
                {
                    continue; // The client itself refuses to send it.
                }
                using (r)
                {
                    if ((int)r.StatusCode >= 500)
                    {
                        failures.Add($"{method} {path} #{i}: {(int)r.StatusCode} for '{mutated}'");
                    }
                    if (r.Headers.Location is { } location && !IsAllowedRedirect(path, location))
                    {
                        failures.Add($"{method} {path} #{i}: redirect to '{location}' for '{mutated}'");
                    }
                }
            }
        }

        Assert.Empty(failures);
        // lab-client was never fuzzed: the server still issues its tokens.
        var (ok, body) = await Protocol.TokenAsync(http, "lab-client", "lab-secret", new() { ["grant_type"] = "client_credentials", ["scope"] = "catalog.read" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.False(string.IsNullOrEmpty(body.GetProperty("access_token").GetString()));
    }

    [Fact]
    public async Task Authorize_RedirectUriVariants_OnlyTheExactRegisteredOneIsEverRedirectedTo()
    {
        // Each is one edit away from a registered URI: scheme, host, port, path, case, slash, userinfo, query, fragment, encoding.
        string[] variants =
        [
            "http://127.0.0.1:5100/signin-oidc/", "http://127.0.0.1:5100/signin-oidc?x=1", "http://127.0.0.1:5100/signin-oidc#x",
            "http://127.0.0.1:5100/SIGNIN-OIDC", "HTTP://127.0.0.1:5100/signin-oidc", "https://127.0.0.1:5100/signin-oidc",
            "http://127.0.0.1:5102/signin-oidc", "http://127.0.0.1/signin-oidc", "http://127.0.0.1:5100/signin-oidc/../evil",
            "http://127.0.0.1:5100@evil.example/signin-oidc", "http://evil.example@127.0.0.1:5100/signin-oidc",
            "http://127.0.0.1:5100%2Fsignin-oidc", "http://127.0.0.1:5100/signin%2Doidc", "http://127.0.0.1:5100\\signin-oidc",
            "//127.0.0.1:5100/signin-oidc", "/signin-oidc", "http://127.0.0.1:5100/signin-oidc\t", " http://127.0.0.1:5100/signin-oidc",
            "http://127.0.0.1:5100/signin-oidc%00", "http://127.0.0.1:5100/signin-oidc\u3000", "http://localhost:5100/signin-oidc",
            "http://[::ffff:127.0.0.1]:5100/signin-oidc", "http://2130706433:5100/signin-oidc", "javascript:alert(1)//127.0.0.1:5100/signin-oidc",
        ];
        using var http = server.Browser();
        var failures = new List<string>();
        foreach (var redirect in variants)
        {
            var query = Authorize.Replace("redirect_uri=http%3A%2F%2F127.0.0.1%3A5100%2Fsignin-oidc", "redirect_uri=" + Uri.EscapeDataString(redirect), StringComparison.Ordinal)
                // An unsupported response type makes a valid redirect URI answer with an error redirect at once, signed in or not.
                .Replace("response_type=code", "response_type=unsupported", StringComparison.Ordinal);
            using var r = await http.GetAsync("/connect/authorize?" + query);
            if ((int)r.StatusCode >= 500 || r.Headers.Location is not null)
            {
                failures.Add($"'{redirect}': {(int)r.StatusCode} Location '{r.Headers.Location}'");
            }
        }
        Assert.Empty(failures);

        // The exact one is redirected to, with the error: the test above would pass against a server that never redirects.
        using var exact = await http.GetAsync("/connect/authorize?" + Authorize.Replace("response_type=code", "response_type=unsupported", StringComparison.Ordinal));
        Assert.NotNull(exact.Headers.Location);
        Assert.StartsWith("http://127.0.0.1:5100/signin-oidc?", exact.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    private bool IsAllowedRedirect(string path, Uri location)
    {
        var text = location.OriginalString;
        if (text.StartsWith('/') && !text.StartsWith("//", StringComparison.Ordinal))
        {
            return true; // Its own login, consent or error pages.
        }
        if (path == "/connect/endsession")
        {
            return text.StartsWith("http://127.0.0.1:5100/signout-callback-oidc", StringComparison.Ordinal);
        }
        return RegisteredRedirects.Any(r => text.StartsWith(r + "?", StringComparison.Ordinal) || text.StartsWith(r + "#", StringComparison.Ordinal) || text == r)
            || (location.IsAbsoluteUri && location.Authority == server.BaseUri.Authority);
    }

    private static string Mutate(string form, Random random)
    {
        var s = form;
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits; e++)
        {
            var at = random.Next(s.Length + 1);
            switch (random.Next(6))
            {
                case 0 or 1:
                    s = s.Insert(at, Tokens[random.Next(Tokens.Length)]);
                    break;
                case 2 when s.Length > 0:
                    var start = random.Next(s.Length);
                    s = s.Remove(start, Math.Min(s.Length - start, random.Next(1, 12)));
                    break;
                case 3:
                    // Repeat a field: OAuth 2.0 §3.1 says parameters must not be included more than once.
                    var fields = s.Split('&');
                    s = s + "&" + fields[random.Next(fields.Length)];
                    break;
                case 4 when s.Length > 0:
                    var pos = random.Next(s.Length);
                    s = s[..pos] + (char)random.Next(0x20, 0x7F) + s[(pos + 1)..];
                    break;
                default:
                    s = s.Insert(at, "&" + Tokens[random.Next(Tokens.Length)] + "=" + Tokens[random.Next(Tokens.Length)]);
                    break;
            }
        }
        return s;
    }
}
