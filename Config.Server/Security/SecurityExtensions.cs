using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;

namespace Infrastructure.Config.Server.Security;

/// <summary>Basic users and Auth.Server bearer tokens; <c>config.read</c> for reads, <c>config.admin</c> for writes, <c>/encrypt</c>, <c>/decrypt</c>, <c>/monitor</c>.</summary>
internal static class SecurityExtensions
{
    private const string Selector = "BasicOrBearer";

    public static WebApplicationBuilder AddConfigSecurity(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.Section)
            .Validate(o => o.Users.All(u => u.Username.Length > 0 && u.Password.Length > 0), "ConfigServer:Security:Users entries need a Username and a Password")
            .ValidateOnStart();
        var options = builder.Configuration.GetSection(SecurityOptions.Section).Get<SecurityOptions>() ?? new SecurityOptions();
        var enabled = options.Enabled ?? !builder.Environment.IsDevelopment();

        var auth = builder.Services.AddAuthentication(Selector)
            .AddPolicyScheme(Selector, Selector, o => o.ForwardDefaultSelector = ctx =>
                ctx.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && options.Authority is not null
                    ? JwtBearerDefaults.AuthenticationScheme
                    : BasicAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BasicAuthenticationHandler>(BasicAuthenticationHandler.SchemeName, null);
        if (options.Authority is not null)
        {
            auth.AddJwtBearer(o =>
            {
                o.Authority = options.Authority;
                o.RequireHttpsMetadata = !options.Authority.StartsWith("http://127.0.0.1", StringComparison.Ordinal) && !options.Authority.StartsWith("http://localhost", StringComparison.Ordinal);
                o.MapInboundClaims = false;
                o.TokenValidationParameters.ValidateAudience = options.Audience is not null;
                o.TokenValidationParameters.ValidAudience = options.Audience;
            });
        }
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ConfigPolicies.Read, p => Require(p, enabled, ConfigPolicies.ReadScope, ConfigPolicies.AdminScope))
            .AddPolicy(ConfigPolicies.Admin, p => Require(p, enabled, ConfigPolicies.AdminScope));
        builder.Services.AddHostedService<SecurityStartupCheck>();
        return builder;
    }

    private static void Require(AuthorizationPolicyBuilder p, bool enabled, params string[] anyScope)
    {
        if (!enabled)
        {
            p.RequireAssertion(_ => true);
            return;
        }
        p.RequireAuthenticatedUser().RequireAssertion(ctx => anyScope.Any(s => ConfigPolicies.HasScope(ctx.User, s)));
    }
}
