using Infrastructure.ServiceDefaults.Security;
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
            .PostConfigure(o => AddSpringBootUser(o, builder.Configuration))
            .Validate(o => o.Users.All(u => u.Username.Length > 0 && u.Password.Length > 0), "ConfigServer:Security:Users entries need a Username and a Password")
            .ValidateOnStart();
        var options = builder.Configuration.GetSection(SecurityOptions.Section).Get<SecurityOptions>() ?? new SecurityOptions();
        AddSpringBootUser(options, builder.Configuration);
        var enabled = options.Enabled ?? !builder.Environment.IsDevelopment();

        var auth = builder.Services.AddAuthentication(Selector)
            .AddPolicyScheme(Selector, Selector, o => o.ForwardDefaultSelector = ctx =>
                AuthorizationHeader.HasBearer(ctx.Request) && options.Authority is not null
                    ? JwtBearerDefaults.AuthenticationScheme
                    : BasicAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BasicAuthenticationHandler>(BasicAuthenticationHandler.SchemeName, null);
        if (options.Authority is not null)
        {
            auth.AddJwtBearer(o => AuthServerBearer.Configure(o, options.Authority, options.Audience, options.RequireHttpsMetadata));
        }
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ConfigPolicies.Read, p => Require(p, enabled, ConfigPolicies.ReadScope, ConfigPolicies.AdminScope))
            .AddPolicy(ConfigPolicies.Admin, p => Require(p, enabled, ConfigPolicies.AdminScope));
        builder.Services.AddHostedService<SecurityStartupCheck>();
        builder.Services.AddSingleton(sp => new Infrastructure.ServiceDefaults.Security.AuthenticationFailureThrottle(
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<SecurityOptions>>().Value.AuthenticationThrottle));
        return builder;
    }

    private static void Require(AuthorizationPolicyBuilder p, bool enabled, params string[] anyScope)
    {
        if (!enabled)
        {
            p.RequireAssertion(_ => true);
            return;
        }
        p.RequireAuthenticatedUser().RequireAssertion(ctx => anyScope.Any(s => Scopes.Has(ctx.User, s)));
    }

    /// <summary>
    /// Spring Boot's single user (<c>spring.security.user.name</c> / <c>.password</c>, e.g. <c>SPRING_SECURITY_USER_NAME</c>), the
    /// way a Spring Cloud Config Server is usually secured: it may read and change configuration, as it may all of Spring's.
    /// </summary>
    private static void AddSpringBootUser(SecurityOptions options, IConfiguration configuration)
    {
        // Spring Boot's user is called "user" unless named otherwise.
        var name = configuration["Spring:Security:User:Name"] is { Length: > 0 } n ? n : "user";
        var password = configuration["Spring:Security:User:Password"];
        if (string.IsNullOrEmpty(password) || options.Users.Any(u => u.Username == name))
        {
            return;
        }
        options.Users.Add(new ConfigUser { Username = name, Password = password, Scopes = $"{ConfigPolicies.ReadScope} {ConfigPolicies.AdminScope}" });
    }
}
