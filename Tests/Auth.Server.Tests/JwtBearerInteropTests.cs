using System.Net;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Infrastructure.Auth.Server.Tests;

/// <summary>ASP.NET Core's JwtBearer handler validates our tokens configured only with the authority (discovery document + JWKS).</summary>
public sealed class JwtBearerInteropTests : IClassFixture<JwtBearerInteropTests.Fixture>
{
    public sealed class Fixture : IAsyncLifetime
    {
        public AuthServerFactory Auth { get; } = new();

        public WebApplication Api { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var builder = WebApplication.CreateBuilder();
            builder.WebHost.UseTestServer();
            builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
            {
                o.Authority = "http://localhost";
                o.RequireHttpsMetadata = false;
                o.Audience = "catalog";
                o.TokenValidationParameters.ValidTypes = ["at+jwt"];
                o.BackchannelHttpHandler = Auth.Server.CreateHandler();
            });
            builder.Services.AddAuthorization(o => o.AddPolicy("catalog.read", p => p.RequireAssertion(c =>
                c.User.FindFirst("scope")?.Value.Split(' ').Contains("catalog.read") == true)));
            Api = builder.Build();
            Api.UseAuthentication();
            Api.UseAuthorization();
            Api.MapGet("/items", (HttpContext ctx) => ctx.User.FindFirst("client_id")?.Value).RequireAuthorization("catalog.read");
            await Api.StartAsync();
        }

        public async Task DisposeAsync()
        {
            await Api.DisposeAsync();
            Auth.Dispose();
        }
    }

    private readonly Fixture _fixture;

    public JwtBearerInteropTests(Fixture fixture) => _fixture = fixture;

    private async Task<HttpResponseMessage> CallApiAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/items");
        request.Headers.Authorization = new("Bearer", token);
        return await _fixture.Api.GetTestClient().SendAsync(request);
    }

    [Fact]
    public async Task JwtBearer_OurToken_Accepted()
    {
        var token = await Protocol.ClientCredentialsTokenAsync(_fixture.Auth.CreateClient(), "catalog.read");
        var r = await CallApiAsync(token);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("lab-client", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task JwtBearer_TokenForOtherAudience_401()
    {
        var token = await Protocol.ClientCredentialsTokenAsync(_fixture.Auth.CreateClient(), "order.write");
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallApiAsync(token)).StatusCode);
    }

    [Fact]
    public async Task JwtBearer_TamperedPayload_401()
    {
        var token = await Protocol.ClientCredentialsTokenAsync(_fixture.Auth.CreateClient(), "catalog.read");
        var parts = token.Split('.');
        var payload = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(parts[1]).Replace("lab-client", "admin-xxx", StringComparison.Ordinal);
        var tampered = parts[0] + "." + Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(payload) + "." + parts[2];
        Assert.Equal(HttpStatusCode.Unauthorized, (await CallApiAsync(tampered)).StatusCode);
    }
}
