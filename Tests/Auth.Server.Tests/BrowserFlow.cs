using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.Tokens;

namespace Infrastructure.Auth.Server.Tests;

/// <summary>Drives the login and consent pages over HTTP with a cookie-keeping client, as a browser would.</summary>
internal sealed partial class BrowserFlow(HttpClient browser)
{
    public HttpClient Http => browser;

    public static (string Verifier, string Challenge) NewPkce()
    {
        var verifier = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));
        return (verifier, Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    public static string AuthorizeUrl(string clientId, string redirectUri, string scope, string? challenge, string state = "st-123", string nonce = "n-456", string? extra = null)
    {
        var q = new Dictionary<string, string?>
        {
            ["client_id"] = clientId, ["redirect_uri"] = redirectUri, ["response_type"] = "code", ["scope"] = scope, ["state"] = state, ["nonce"] = nonce,
        };
        if (challenge is not null)
        {
            q["code_challenge"] = challenge;
            q["code_challenge_method"] = "S256";
        }
        var url = QueryHelpers.AddQueryString("/connect/authorize", q);
        return extra is null ? url : url + "&" + extra;
    }

    /// <summary>Follows local redirects (login, consent, authorize) until one leaves the server; answers the login and consent forms.</summary>
    public async Task<Uri> RunAsync(string authorizeUrl, string username = "alice", string password = "alice", string consent = "yes", bool remember = false)
    {
        var next = authorizeUrl;
        for (var hop = 0; hop < 10; hop++)
        {
            var r = await browser.GetAsync(next);
            if (r.StatusCode == HttpStatusCode.OK)
            {
                var html = await r.Content.ReadAsStringAsync();
                var form = ReadForm(html);
                string action;
                if (html.Contains("name=\"password\"", StringComparison.Ordinal))
                {
                    form["username"] = username;
                    form["password"] = password;
                    action = "/account/login";
                }
                else
                {
                    form["button"] = consent;
                    if (remember)
                    {
                        form["remember"] = "true";
                    }
                    action = "/account/consent";
                }
                r = await browser.PostAsync(action, new FormUrlEncodedContent(form));
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    throw new InvalidOperationException("form rejected: " + await r.Content.ReadAsStringAsync());
                }
            }
            Assert.Equal(HttpStatusCode.Redirect, r.StatusCode);
            var location = r.Headers.Location!;
            if (location.IsAbsoluteUri && location.Authority != (browser.BaseAddress?.Authority ?? "localhost"))
            {
                return location;
            }
            next = location.ToString();
        }
        throw new InvalidOperationException("too many redirects");
    }

    public static Dictionary<string, string> ReadForm(string html) =>
        HiddenInput().Matches(html).ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => WebUtility.HtmlDecode(m.Groups[2].Value));

    public static Dictionary<string, string> Query(Uri uri) =>
        QueryHelpers.ParseQuery(uri.Query).ToDictionary(kv => kv.Key, kv => kv.Value.ToString());

    [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]+)\" value=\"([^\"]*)\">")]
    private static partial Regex HiddenInput();
}
