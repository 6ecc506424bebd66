using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Infrastructure.Auth.Server.Tests;

/// <summary>Bodies that cannot be read as the endpoint's form or JSON, over Kestrel: a 4xx in the endpoint's own error shape, never a 500.</summary>
[Collection(RealServerCollection.Name)]
public sealed class BrokenInputTests(RealServer server)
{
    private const string FormType = "application/x-www-form-urlencoded";

    /// <summary>A valid request to each endpoint; every broken body is this plus one defect.</summary>
    private static readonly Dictionary<string, string> Baseline = new()
    {
        ["/connect/token"] = "grant_type=client_credentials&scope=catalog.read",
        ["/connect/introspect"] = "token=not-a-token",
        ["/connect/revocation"] = "token=not-a-token",
        ["/connect/authorize"] = "client_id=web-bff&redirect_uri=http%3A%2F%2F127.0.0.1%3A5100%2Fsignin-oidc&response_type=code&scope=openid"
            + "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        ["/connect/endsession"] = "state=s",
        ["/connect/userinfo"] = "access_token=not-a-token",
        ["/account/login"] = "username=bob&password=bob&returnUrl=%2F",
    };

    public static TheoryData<string, string> EndpointsAndDefects()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in Baseline.Keys)
        {
            foreach (var defect in Defects.Keys)
            {
                data.Add(endpoint, defect);
            }
        }
        return data;
    }

    private static readonly Dictionary<string, (string ContentType, Func<string, byte[]> Body)> Defects = new()
    {
        ["NUL, escaped"] = (FormType, b => Ascii(b + "&x=a%00b")),
        ["NUL, raw byte"] = (FormType, b => [.. Ascii(b + "&x=a"), 0, (byte)'b']),
        ["vertical tab"] = (FormType, b => Ascii(b + "&x=a%0Bb")),
        ["invalid UTF-8"] = (FormType, b => [.. Ascii(b + "&x="), 0xC3, 0x28]),
        ["2000 fields"] = (FormType, b => Ascii(b + string.Concat(Enumerable.Range(0, 2000).Select(i => $"&f{i}=1")))),
        ["70 KB value"] = (FormType, b => Ascii(b + "&x=" + new string('a', 70_000))),
        ["multipart without boundary"] = ("multipart/form-data", Ascii),
        ["not a form"] = ("text/plain", Ascii),
    };

    private static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    private async Task<HttpResponseMessage> PostAsync(HttpClient http, string path, string contentType, byte[] body, AuthenticationHeaderValue? auth = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        Assert.True(request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType));
        request.Headers.Authorization = auth;
        return await http.SendAsync(request);
    }

    [Theory]
    [MemberData(nameof(EndpointsAndDefects))]
    public async Task BrokenForm_AnsweredInTheEndpointsShape_Never5xx(string endpoint, string defect)
    {
        using var browser = server.Browser();
        var baseline = Baseline[endpoint];
        AuthenticationHeaderValue? auth = endpoint switch
        {
            "/connect/token" or "/connect/revocation" => Protocol.Basic("lab-client", "lab-secret"),
            "/connect/introspect" => Protocol.Basic("catalog", "catalog-secret"),
            _ => null,
        };
        if (endpoint == "/account/login")
        {
            var token = BrowserFlow.ReadForm(await browser.GetStringAsync("/account/login")).First(f => f.Key.StartsWith("__", StringComparison.Ordinal));
            baseline = $"{token.Key}={Uri.EscapeDataString(token.Value)}&{baseline}";
        }
        var (contentType, body) = Defects[defect];
        var r = await PostAsync(browser, endpoint, contentType, body(baseline), auth);
        var text = await r.Content.ReadAsStringAsync();
        var wrongType = contentType != FormType;

        switch (endpoint)
        {
            case "/connect/token" or "/connect/introspect" or "/connect/revocation":
                Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
                Assert.Equal("application/json", r.Content.Headers.ContentType?.MediaType);
                Assert.Equal("invalid_request", JsonDocument.Parse(text).RootElement.GetProperty("error").GetString());
                break;
            case "/connect/authorize" or "/connect/endsession":
                // IdentityServer4 answers a POST that is no form with 415; a broken one gets the error page, no redirect.
                Assert.Equal(wrongType ? HttpStatusCode.UnsupportedMediaType : HttpStatusCode.BadRequest, r.StatusCode);
                Assert.Equal("text/html", r.Content.Headers.ContentType?.MediaType);
                Assert.Null(r.Headers.Location);
                break;
            case "/connect/userinfo":
                // RFC 6750: a POST without a form carries no token (401); a broken form is invalid_request (400).
                Assert.Equal(wrongType ? HttpStatusCode.Unauthorized : HttpStatusCode.BadRequest, r.StatusCode);
                Assert.Contains(wrongType ? "error=\"invalid_token\"" : "error=\"invalid_request\"", r.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
                break;
            default:
                Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
                Assert.Contains("Invalid request", text, StringComparison.Ordinal);
                Assert.Null(r.Headers.Location);
                break;
        }
    }

    [Theory]
    [InlineData("client_id")]
    [InlineData("client_secret")]
    [InlineData("grant_type")]
    [InlineData("scope")]
    [InlineData("code")]
    [InlineData("redirect_uri")]
    [InlineData("code_verifier")]
    [InlineData("refresh_token")]
    [InlineData("username")]
    [InlineData("password")]
    public async Task Token_ControlCharacterInParameter_InvalidRequest(string parameter)
    {
        var form = new Dictionary<string, string>
        {
            ["client_id"] = "lab-client", ["client_secret"] = "lab-secret", ["grant_type"] = "password", ["username"] = "bob", ["password"] = "bob",
        };
        form[parameter] = (form.TryGetValue(parameter, out var value) ? value : "x") + "\u0001";
        using var http = server.Browser();
        var (r, body) = await Protocol.PostFormAsync(http, "/connect/token", form);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("invalid_request", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_TabInPassword_AllowedAsRfc6749AppendixASays()
    {
        using var http = server.Browser();
        var (r, body) = await Protocol.TokenAsync(http, "lab-client", "lab-secret", new() { ["grant_type"] = "password", ["username"] = "bob", ["password"] = "bob\t" });
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_ControlCharacterInBasicCredentials_InvalidRequest()
    {
        using var http = server.Browser();
        var (r, body) = await Protocol.TokenAsync(http, "lab-client\u0000", "lab-secret", new() { ["grant_type"] = "client_credentials" });
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("invalid_request", body.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("client_id")]
    [InlineData("redirect_uri")]
    [InlineData("state")]
    public async Task AuthorizeGet_ControlCharacterInQuery_ErrorPageNotRedirect(string parameter)
    {
        var query = new Dictionary<string, string?>
        {
            ["client_id"] = "web-bff", ["redirect_uri"] = "http://127.0.0.1:5100/signin-oidc", ["response_type"] = "code", ["scope"] = "openid", ["state"] = "s",
            ["code_challenge"] = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", ["code_challenge_method"] = "S256",
        };
        query[parameter] += "\u0000";
        using var http = server.Browser();
        var r = await http.GetAsync(Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/connect/authorize", query));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Null(r.Headers.Location);
    }

    public static TheoryData<string, string, byte[]> BrokenJson => new()
    {
        { "not JSON", "application/json", Ascii("{\"ClientId\":") },
        { "invalid UTF-8 in a string", "application/json", [.. Ascii("{\"ClientId\":\"x"), 0xC3, 0x28, .. Ascii("\"}")] },
        { "NUL in ClientId", "application/json", Ascii("{\"ClientId\":\"x\\u0000\",\"RequireClientSecret\":false,\"AllowedGrantTypes\":[\"authorization_code\"],\"RedirectUris\":[\"http://a.example/cb\"]}") },
        { "NUL in a list", "application/json", Ascii("{\"ClientId\":\"x\",\"RequireClientSecret\":false,\"AllowedGrantTypes\":[\"authorization_code\"],\"RedirectUris\":[\"http://a.example/cb\"],\"ClientName\":\"a\\u0000\"}") },
        { "wrong type of value", "application/json", Ascii("{\"ClientId\":\"x\",\"AccessTokenLifetime\":\"soon\"}") },
        { "an array", "application/json", Ascii("[1,2]") },
        { "null", "application/json", Ascii("null") },
        { "70 KB", "application/json", Ascii("{\"ClientId\":\"x\",\"ClientName\":\"" + new string('a', 70_000) + "\"}") },
        { "multipart without boundary", "multipart/form-data", Ascii("x") },
        { "2000 form fields", FormType, Ascii(string.Join('&', Enumerable.Range(0, 2000).Select(i => $"f{i}=1"))) },
    };

    [Theory]
    [MemberData(nameof(BrokenJson))]
    public async Task AdminApi_BrokenJson_ProblemDetails4xx(string defect, string contentType, byte[] body)
    {
        using var http = server.Browser();
        var token = await Protocol.ClientCredentialsTokenAsync(http, "auth.admin", "auth-admin", "auth-admin-secret");
        foreach (var path in new[] { "/api/admin/clients/x", "/api/admin/users/x" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = new ByteArrayContent(body) };
            Assert.True(request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType));
            request.Headers.Authorization = new("Bearer", token);
            var r = await http.SendAsync(request);
            Assert.True(r.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnsupportedMediaType, $"{defect} at {path}: {(int)r.StatusCode}");
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        }
    }
}
