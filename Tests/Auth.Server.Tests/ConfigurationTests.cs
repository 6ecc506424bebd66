using System.Net;
using Infrastructure.Auth.Server.Configuration;
using Infrastructure.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;

namespace Infrastructure.Auth.Server.Tests;

/// <summary>Configurations IdentityServer4 accepts start here too; only values nothing could use stop the server.</summary>
public sealed class ConfigurationTests
{
    private static readonly AuthOptionsValidator Validator = new(new HostingEnvironment { EnvironmentName = Environments.Development });

    [Fact]
    public async Task Startup_OfflineAccessInAllowedScopes_AcceptedAndRefreshTokenIssued()
    {
        using var factory = new AuthServerFactory(new()
        {
            ["Auth:Clients:10:ClientId"] = "is4-style",
            ["Auth:Clients:10:ClientSecrets:0:Value"] = "is4-secret",
            ["Auth:Clients:10:AllowedGrantTypes:0"] = "password",
            ["Auth:Clients:10:AllowedScopes:0"] = "openid",
            ["Auth:Clients:10:AllowedScopes:1"] = "offline_access",
            ["Auth:Clients:10:AllowOfflineAccess"] = "true",
        });
        var (r, body) = await Protocol.TokenAsync(factory.CreateClient(), "is4-style", "is4-secret", new()
        {
            ["grant_type"] = "password", ["username"] = "alice", ["password"] = "alice", ["scope"] = "openid offline_access",
        });
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.False(string.IsNullOrEmpty(body.GetProperty("refresh_token").GetString()));
    }

    [Fact]
    public async Task Startup_OfflineAccessListedWithoutAllowOfflineAccess_StartsButRequestRefusedAsIdentityServer4Does()
    {
        using var factory = new AuthServerFactory(new()
        {
            ["Auth:Clients:10:ClientId"] = "no-offline",
            ["Auth:Clients:10:ClientSecrets:0:Value"] = "no-offline-secret",
            ["Auth:Clients:10:AllowedGrantTypes:0"] = "password",
            ["Auth:Clients:10:AllowedScopes:0"] = "openid",
            ["Auth:Clients:10:AllowedScopes:1"] = "offline_access",
        });
        var (r, body) = await Protocol.TokenAsync(factory.CreateClient(), "no-offline", "no-offline-secret", new()
        {
            ["grant_type"] = "password", ["username"] = "alice", ["password"] = "alice", ["scope"] = "openid offline_access",
        });
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("invalid_scope", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Startup_UnknownScopeAndUnimplementedGrantType_StartsAndOnlyThoseRequestsFail()
    {
        using var factory = new AuthServerFactory(new()
        {
            ["Auth:Clients:10:ClientId"] = "ported",
            ["Auth:Clients:10:ClientSecrets:0:Value"] = "ported-secret",
            ["Auth:Clients:10:AllowedGrantTypes:0"] = "implicit",
            ["Auth:Clients:10:AllowedGrantTypes:1"] = "client_credentials",
            ["Auth:Clients:10:AllowedScopes:0"] = "catalog.read",
            ["Auth:Clients:10:AllowedScopes:1"] = "legacy.api",
        });
        var http = factory.CreateClient();
        var (ok, _) = await Protocol.TokenAsync(http, "ported", "ported-secret", new() { ["grant_type"] = "client_credentials", ["scope"] = "catalog.read" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var (unknown, body) = await Protocol.TokenAsync(http, "ported", "ported-secret", new() { ["grant_type"] = "client_credentials", ["scope"] = "legacy.api" });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal("invalid_scope", body.GetProperty("error").GetString());
    }

    [Fact]
    public void Check_StricterThanIdentityServer4_WarningsNotErrors()
    {
        var findings = Validator.Check(new AuthOptions
        {
            ApiScopes = [new() { Name = "api" }],
            ApiResources = [new() { Name = "res", Scopes = ["api", "gone"] }],
            Clients =
            [
                new() { ClientId = "a", ClientSecrets = [new() { Value = "s" }], AllowedGrantTypes = ["implicit", "client_credentials"], AllowedScopes = ["api", "openid", "offline_access"] },
                new() { ClientId = "b", AllowedGrantTypes = ["authorization_code"] },
            ],
        });
        Assert.Empty(findings.Errors);
        Assert.Contains(findings.Warnings, w => w.Contains("'implicit'", StringComparison.Ordinal));
        Assert.Contains(findings.Warnings, w => w.Contains("'openid'", StringComparison.Ordinal) && w.Contains("IdentityResources", StringComparison.Ordinal));
        Assert.Contains(findings.Warnings, w => w.Contains("'offline_access' has no effect", StringComparison.Ordinal));
        Assert.Contains(findings.Warnings, w => w.Contains("'gone'", StringComparison.Ordinal));
        Assert.Contains(findings.Warnings, w => w.Contains("(b)", StringComparison.Ordinal) && w.Contains("ClientSecrets is empty", StringComparison.Ordinal));
        Assert.Contains(findings.Warnings, w => w.Contains("(b)", StringComparison.Ordinal) && w.Contains("without RedirectUris", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_UnusableValues_Errors()
    {
        var findings = Validator.Check(new AuthOptions
        {
            ApiScopes = [new() { Name = "two words" }],
            Clients =
            [
                new() { ClientId = "x\0", RequireClientSecret = false, AllowedGrantTypes = ["client_credentials"], RedirectUris = ["/relative"], AccessTokenLifetime = 0 },
                new() { ClientId = "dup", ClientSecrets = [new() { Value = "s" }], AllowedCorsOrigins = ["http://a.example/path"], PostLogoutRedirectUris = ["https://b\u00fccher.example/"] },
                new() { ClientId = "dup", ClientSecrets = [new() { Value = "s" }] },
            ],
            Lockout = new() { MaxFailedAccessAttempts = 0 },
        });
        Assert.Contains(findings.Errors, e => e.Contains("two words", StringComparison.Ordinal));
        Assert.Contains(findings.Errors, e => e.Contains("control characters", StringComparison.Ordinal));
        Assert.Contains(findings.Errors, e => e.Contains("cannot use client_credentials", StringComparison.Ordinal));
        Assert.Contains(findings.Errors, e => e.Contains("'/relative'", StringComparison.Ordinal));
        Assert.Contains(findings.Errors, e => e.Contains("AccessTokenLifetime", StringComparison.Ordinal));
        Assert.Contains(findings.Errors, e => e.Contains("duplicate Auth:Clients ClientId 'dup'", StringComparison.Ordinal));
        Assert.Contains(findings.Errors, e => e.Contains("http://a.example/path", StringComparison.Ordinal));
        Assert.Contains(findings.Errors, e => e.Contains("Auth:Lockout", StringComparison.Ordinal));
        Assert.Contains(findings.Errors, e => e.Contains("written in ASCII", StringComparison.Ordinal));
    }

    [Fact]
    public void Startup_UnusableValue_RefusedNamingTheKey()
    {
        var e = FailedStart.Of(() => new AuthServerFactory(new()
        {
            ["Auth:Clients:10:ClientId"] = "broken",
            ["Auth:Clients:10:ClientSecrets:0:Value"] = "s",
            ["Auth:Clients:10:AllowedGrantTypes:0"] = "authorization_code",
            ["Auth:Clients:10:RedirectUris:0"] = "/signin-oidc",
        }), factory => factory.CreateClient());
        Assert.Contains("(broken)", e.ToString(), StringComparison.Ordinal);
        Assert.Contains("'/signin-oidc' must be an absolute URI", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Startup_ValueThatDoesNotConvert_RefusedInsteadOfDroppingTheClient()
    {
        // The binder leaves a list element out when one of its values does not convert; the client would just be missing.
        var e = FailedStart.Of(() => new AuthServerFactory(new()
        {
            ["Auth:Clients:10:ClientId"] = "typo",
            ["Auth:Clients:10:ClientSecrets:0:Value"] = "s",
            ["Auth:Clients:10:AllowedGrantTypes:0"] = "client_credentials",
            ["Auth:Clients:10:AccessTokenLifetime"] = "1h",
        }), factory => factory.CreateClient());
        Assert.Contains("Auth:Clients:10 cannot be read", e.ToString(), StringComparison.Ordinal);
        Assert.Contains("Auth:Clients:10:AccessTokenLifetime", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownKeys_IdentityServer4SettingsNotImplemented_Named()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Auth:Clients:0:ClientId"] = "spa",
            ["Auth:Clients:0:AllowAccessTokensViaBrowser"] = "true",
            ["Auth:Clients:0:ClientSecrets:0:Type"] = "SharedSecret",
            ["Auth:Users:0:Claims:name"] = "Alice",
            ["Auth:Lockout:MaxFailedAccessAttempts"] = "3",
            ["Auth:Lockout:AllowedForNewUsers"] = "true",
        }).Build().GetSection("Auth");
        var warnings = ConfigurationShape.UnknownKeys(section, typeof(AuthOptions)).ToList();
        Assert.Equal(3, warnings.Count);
        Assert.Contains(warnings, w => w.StartsWith("Auth:Clients:0:AllowAccessTokensViaBrowser ", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith("Auth:Clients:0:ClientSecrets:0:Type ", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.StartsWith("Auth:Lockout:AllowedForNewUsers ", StringComparison.Ordinal));
    }
}
