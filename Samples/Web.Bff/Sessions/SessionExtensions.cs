using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Infrastructure.Samples.WebBff.Sessions;

/// <summary>OpenID Connect login (code + PKCE) with a server-side session: Redis when <c>Redis:Configuration</c> is set, memory otherwise.</summary>
internal static class SessionExtensions
{
    public const string CookieName = "bff.session";

    public static IHostApplicationBuilder AddBffSessions(this IHostApplicationBuilder builder)
    {
        var redis = builder.Configuration["Redis:Configuration"];
        if (!string.IsNullOrWhiteSpace(redis))
        {
            var mux = ConnectionMultiplexer.Connect(redis);
            builder.Services.AddSingleton<IConnectionMultiplexer>(mux);
            builder.Services.AddStackExchangeRedisCache(o => o.ConnectionMultiplexerFactory = () => Task.FromResult<IConnectionMultiplexer>(mux));
            // Replicas must share the keys that protect the cookie, or one cannot read another's session key.
            builder.Services.AddDataProtection().SetApplicationName("web-bff").PersistKeysToStackExchangeRedis(mux, "bff:dataprotection-keys");
        }
        else
        {
            builder.Services.AddDistributedMemoryCache();
            builder.Services.AddDataProtection().SetApplicationName("web-bff");
        }
        builder.Services.AddSingleton<DistributedTicketStore>();
        builder.Services.AddSingleton<RefreshTokenRevocation>();
        builder.Services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<DistributedTicketStore>((o, store) => o.SessionStore = store);

        var authority = builder.Configuration["Auth:Authority"] ?? "http://127.0.0.1:9000";
        builder.Services.AddAuthentication(o =>
            {
                o.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                o.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
            })
            .AddCookie(o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(8);
                o.SlidingExpiration = true;
            })
            .AddOpenIdConnect(o =>
            {
                o.Authority = authority;
                o.RequireHttpsMetadata = authority.StartsWith("https:", StringComparison.OrdinalIgnoreCase);
                o.ClientId = builder.Configuration["Bff:ClientId"] ?? "web-bff";
                o.ClientSecret = builder.Configuration["Bff:ClientSecret"] ?? "web-bff-secret";
                o.ResponseType = "code";
                o.UsePkce = true;
                // Auth.Server answers the authorization response on the query string (no form_post).
                o.ResponseMode = "query";
                o.SaveTokens = true;
                o.MapInboundClaims = false;
                o.GetClaimsFromUserInfoEndpoint = true;
                o.TokenValidationParameters.NameClaimType = "name";
                // An API caller (the page's fetch) gets a 401, not a redirect to the login page it cannot follow.
                o.Events.OnRedirectToIdentityProvider = ctx =>
                {
                    if (ctx.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
                    {
                        ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
                        ctx.HandleResponse();
                    }
                    return Task.CompletedTask;
                };
                o.Scope.Clear();
                foreach (var s in (builder.Configuration["Bff:Scopes"] ?? "openid profile catalog.read order.read order.write offline_access").Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    o.Scope.Add(s);
                }
            });
        builder.Services.AddAuthorization();
        return builder;
    }
}
