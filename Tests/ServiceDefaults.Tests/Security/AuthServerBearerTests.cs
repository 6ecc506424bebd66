using System.Security.Claims;
using Infrastructure.ServiceDefaults.Security;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace Infrastructure.ServiceDefaults.Tests.Security;

/// <summary>The one token-validation setup: its HTTPS-metadata rule and its scope check.</summary>
public sealed class AuthServerBearerTests
{
    [Theory]
    [InlineData("http://127.0.0.1:9000", null, false)]
    [InlineData("http://localhost:9000", null, false)]
    [InlineData("http://[::1]:9000", null, false)]
    [InlineData("http://127.0.0.2:9000", null, false)]
    [InlineData("http://auth.internal:9000", null, true)]
    [InlineData("https://auth.example.com", null, true)]
    [InlineData("http://auth.internal:9000", false, false)]
    [InlineData("http://127.0.0.1:9000", true, true)]
    [InlineData(null, null, true)]
    public void RequireHttpsMetadata_OnlyLoopbackIsExemptUnlessConfigured(string? authority, bool? configured, bool expected)
    {
        Assert.Equal(expected, AuthServerBearer.RequireHttpsMetadata(authority, configured));
    }

    [Fact]
    public void Configure_KeepsJwtClaimNames_ChecksAudienceWhenGiven()
    {
        var o = new JwtBearerOptions();

        AuthServerBearer.Configure(o, "http://127.0.0.1:9000", "catalog");

        Assert.False(o.MapInboundClaims);
        Assert.Equal("http://127.0.0.1:9000", o.Authority);
        Assert.False(o.RequireHttpsMetadata);
        Assert.True(o.TokenValidationParameters.ValidateAudience);
        Assert.Equal("catalog", o.TokenValidationParameters.ValidAudience);
        Assert.Equal("sub", o.TokenValidationParameters.NameClaimType);
        Assert.NotNull(o.Events.OnForbidden);

        var none = new JwtBearerOptions();
        AuthServerBearer.Configure(none, "https://auth.example.com", audience: null);
        Assert.False(none.TokenValidationParameters.ValidateAudience);
        Assert.True(none.RequireHttpsMetadata);
    }

    private static ClaimsPrincipal User(params (string Type, string Value)[] claims) =>
        new(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)), "test"));

    [Fact]
    public void Has_SpaceSeparatedOrOneClaimPerScope_Ordinal()
    {
        Assert.True(Scopes.Has(User(("scope", "openid catalog.read")), "catalog.read"));
        Assert.True(Scopes.Has(User(("scope", "openid"), ("scope", "catalog.read")), "catalog.read"));
        Assert.True(Scopes.Has(User(("http://schemas.microsoft.com/identity/claims/scope", "catalog.read")), "catalog.read"));
        Assert.False(Scopes.Has(User(("scope", "Catalog.Read")), "catalog.read"));
        Assert.False(Scopes.Has(User(("scope", "catalog.readwrite")), "catalog.read"));
        Assert.False(Scopes.Has(User(("scp", "catalog.read")), "catalog.read"));
        Assert.False(Scopes.Has(User(), "catalog.read"));
    }
}
