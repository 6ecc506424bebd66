using System.Text.Json;
using Infrastructure.Testing;

namespace Infrastructure.Auth.Server.Tests;

/// <summary>The npm openid-client 6.8.9 (certified, strict) against a real Auth.Server process.</summary>
public sealed class OpenIdClientInteropTests
{
    private const string Script = """
        import * as client from 'openid-client';
        const issuer = new URL(process.env.ISSUER);
        const insecure = { execute: [client.allowInsecureRequests] };
        const out = {};
        const lab = await client.discovery(issuer, 'lab-client', 'lab-secret', client.ClientSecretBasic(), insecure);
        out.issuer = lab.serverMetadata().issuer;

        const cc = await client.clientCredentialsGrant(lab, { scope: 'catalog.read' });
        out.ccScope = cc.scope;
        out.ccType = cc.token_type;

        const api = await client.discovery(issuer, 'catalog', 'catalog-secret', client.ClientSecretBasic(), insecure);
        const intro = await client.tokenIntrospection(api, cc.access_token);
        out.introActive = intro.active;
        out.introClient = intro.client_id;

        const pw = await client.genericGrantRequest(lab, 'password', { username: 'alice', password: 'alice', scope: 'openid profile offline_access catalog.read' });
        out.pwSub = pw.claims()?.sub ?? null;
        const refreshed = await client.refreshTokenGrant(lab, pw.refresh_token);
        out.rotated = refreshed.refresh_token !== pw.refresh_token;
        out.refreshedSub = refreshed.claims()?.sub ?? null;

        await client.tokenRevocation(lab, refreshed.refresh_token, { token_type_hint: 'refresh_token' });
        try {
          await client.refreshTokenGrant(lab, refreshed.refresh_token);
          out.afterRevoke = 'accepted';
        } catch (e) {
          out.afterRevoke = e.error ?? e.code ?? String(e);
        }
        try {
          const bad = await client.discovery(issuer, 'lab-client', 'wrong', client.ClientSecretPost(), insecure);
          await client.clientCredentialsGrant(bad, { scope: 'catalog.read' });
          out.badSecret = 'accepted';
        } catch (e) {
          out.badSecret = (e.error ?? e.code) + ':' + (e.status ?? e.cause?.status ?? '');
        }
        console.log('RESULT ' + JSON.stringify(out));
        """;

    [Fact]
    public async Task OpenIdClient_DiscoveryClientCredentialsIntrospectionRefreshRevocation_AllWork()
    {
        await using var server = await ServerProcess.StartAsync("Auth.Server", environment: new Dictionary<string, string?>
        {
            ["Auth__SigningKeys__Path"] = Path.Combine(Path.GetTempPath(), "auth-oidc-client-" + Guid.NewGuid().ToString("N")),
        });
        var issuer = server.BaseUri.ToString().TrimEnd('/');
        var (exit, output) = await NodeModuleScript.RunAsync(Script, TimeSpan.FromSeconds(60), new Dictionary<string, string> { ["ISSUER"] = issuer });
        Assert.True(exit == 0, output);
        var line = output.Split('\n').Single(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        var r = JsonDocument.Parse(line[7..]).RootElement;
        Assert.Equal(issuer, r.GetProperty("issuer").GetString());
        Assert.Equal("catalog.read", r.GetProperty("ccScope").GetString());
        Assert.Equal("bearer", r.GetProperty("ccType").GetString());
        Assert.True(r.GetProperty("introActive").GetBoolean());
        Assert.Equal("lab-client", r.GetProperty("introClient").GetString());
        Assert.True(r.GetProperty("rotated").GetBoolean());
        Assert.Equal("invalid_grant", r.GetProperty("afterRevoke").GetString());
        // openid-client reports a 401 carrying WWW-Authenticate (RFC 6749 §5.2) as a challenge error.
        Assert.Equal("OAUTH_WWW_AUTHENTICATE_CHALLENGE:401", r.GetProperty("badSecret").GetString());
    }

    private const string AuthorizeScript = """
        import * as client from 'openid-client';
        const config = await client.discovery(new URL(process.env.ISSUER), 'web-bff', 'web-bff-secret', undefined, { execute: [client.allowInsecureRequests] });
        const verifier = client.randomPKCECodeVerifier();
        const state = client.randomState();
        const nonce = client.randomNonce();
        const url = client.buildAuthorizationUrl(config, {
          redirect_uri: 'http://127.0.0.1:5100/signin-oidc',
          scope: 'openid profile offline_access catalog.read',
          code_challenge: await client.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state, nonce,
        });
        console.log('RESULT ' + JSON.stringify({ url: url.href, verifier, state, nonce }));
        """;

    private const string CallbackScript = """
        import * as client from 'openid-client';
        const config = await client.discovery(new URL(process.env.ISSUER), 'web-bff', 'web-bff-secret', undefined, { execute: [client.allowInsecureRequests] });
        const tokens = await client.authorizationCodeGrant(config, new URL(process.env.CALLBACK), {
          pkceCodeVerifier: process.env.VERIFIER, expectedState: process.env.STATE, expectedNonce: process.env.NONCE,
        });
        const claims = tokens.claims();
        const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
        console.log('RESULT ' + JSON.stringify({ sub: claims.sub, nonce: claims.nonce, name: userinfo.name, hasRefresh: !!tokens.refresh_token }));
        """;

    private static JsonElement Result(int exit, string output)
    {
        Assert.True(exit == 0, output);
        var line = output.Split('\n').Single(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        return JsonDocument.Parse(line[7..]).RootElement;
    }

    [Fact]
    public async Task OpenIdClient_AuthorizationCodeWithPkce_ValidatesOurIdTokenAndUserInfo()
    {
        await using var server = await ServerProcess.StartAsync("Auth.Server", environment: new Dictionary<string, string?>
        {
            ["Auth__SigningKeys__Path"] = Path.Combine(Path.GetTempPath(), "auth-oidc-client-" + Guid.NewGuid().ToString("N")),
        });
        var env = new Dictionary<string, string> { ["ISSUER"] = server.BaseUri.ToString().TrimEnd('/') };
        var (startExit, startOutput) = await NodeModuleScript.RunAsync(AuthorizeScript, TimeSpan.FromSeconds(60), env);
        var start = Result(startExit, startOutput);

        // The browser part: our login page, driven over HTTP with a cookie-keeping client.
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true };
        using var browser = new HttpClient(handler) { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(30) };
        var authorize = new Uri(start.GetProperty("url").GetString()!);
        var callback = await new BrowserFlow(browser).RunAsync(authorize.PathAndQuery);

        env["CALLBACK"] = callback.ToString();
        env["VERIFIER"] = start.GetProperty("verifier").GetString()!;
        env["STATE"] = start.GetProperty("state").GetString()!;
        env["NONCE"] = start.GetProperty("nonce").GetString()!;
        var (exit, output) = await NodeModuleScript.RunAsync(CallbackScript, TimeSpan.FromSeconds(60), env);
        var done = Result(exit, output);
        Assert.Equal("1", done.GetProperty("sub").GetString());
        Assert.Equal(env["NONCE"], done.GetProperty("nonce").GetString());
        Assert.Equal("Alice Smith", done.GetProperty("name").GetString());
        Assert.True(done.GetProperty("hasRefresh").GetBoolean());
    }
}
