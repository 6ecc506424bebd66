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
}
