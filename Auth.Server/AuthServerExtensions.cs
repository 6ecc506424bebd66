using Infrastructure.Auth.Server.Account;
using Infrastructure.Auth.Server.Admin;
using Infrastructure.Auth.Server.Postgres;
using Infrastructure.Auth.Server.Configuration;
using Infrastructure.Auth.Server.Endpoints;
using Infrastructure.Auth.Server.Keys;
using Infrastructure.Auth.Server.Security;
using Infrastructure.Auth.Server.Stores;
using Infrastructure.Auth.Server.Tokens;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Infrastructure.Auth.Server;

/// <summary>Registration of the token service's parts.</summary>
internal static class AuthServerExtensions
{
    /// <summary>Configuration model, stores (in memory or PostgreSQL), keys, tokens, login cookie, CORS.</summary>
    public static WebApplicationBuilder AddAuthServer(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AuthOptionsValidator>();
        services.AddSingleton<IValidateOptions<AuthOptions>>(sp => sp.GetRequiredService<AuthOptionsValidator>());
        services.AddHostedService<AuthConfigurationReport>();
        services.AddOptions<SigningKeyOptions>().BindConfiguration(SigningKeyOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<SigningKeyOptions>, SigningKeyOptionsValidator>();
        services.AddOptions<Postgres.PostgresOptions>().BindConfiguration(Postgres.PostgresOptions.SectionName).ValidateOnStart();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IPasswordHasher<UserRecord>, PasswordHasher<UserRecord>>();
        services.AddSingleton<ConfigurationSeed>();
        if (!string.IsNullOrEmpty(builder.Configuration[Postgres.PostgresOptions.SectionName + ":ConnectionString"]))
        {
            services.AddPostgresStores();
        }
        else
        {
            services.AddSingleton<IClientStore, InMemoryClientStore>();
            services.AddSingleton<IResourceStore, InMemoryResourceStore>();
            services.AddSingleton<IUserStore, InMemoryUserStore>();
            services.AddSingleton<IPersistedGrantStore, InMemoryPersistedGrantStore>();
            services.AddSingleton<ISigningKeyStore, FileSigningKeyStore>();
        }

        services.AddSingleton<KeyManager>();
        services.AddHostedService<KeyMaintenanceService>();
        services.AddHostedService<GrantCleanupService>();
        services.AddSingleton<IssuerResolver>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<ClientAuthenticationThrottle>();
        services.AddSingleton<ClientAuthenticator>();
        services.AddSingleton<UserLogin>();
        services.AddSingleton<TokenEndpoint>();
        services.AddSingleton<AuthorizeEndpoint>();

        services.AddAuthentication(AccountEndpoints.Scheme).AddCookie(AccountEndpoints.Scheme, o =>
        {
            o.Cookie.Name = AccountEndpoints.Scheme;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.LoginPath = AccountEndpoints.LoginPath;
            o.ExpireTimeSpan = TimeSpan.FromHours(10);
            o.SlidingExpiration = false;
        });
        services.AddAntiforgery(o => o.Cookie.Name = "idsrv.antiforgery");
        services.AddCors();
        services.AddSingleton<ICorsPolicyProvider, ClientCorsPolicyProvider>();
        return builder;
    }

    /// <summary>
    /// The configuration's errors in one line, or null when the server may start. Checked before the host is built,
    /// so a refusal is that line alone: a failure inside <c>Run</c> is logged by the host and printed again by the
    /// runtime, each time with its stack trace.
    /// </summary>
    public static string? ConfigurationProblems(this WebApplicationBuilder builder)
    {
        try
        {
            var auth = builder.Configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new AuthOptions();
            var validation = new AuthOptionsValidator(builder.Environment, builder.Configuration).Validate(null, auth);
            var errors = validation.Failed ? validation.Failures.ToList() : [];
            var keys = builder.Configuration.GetSection(SigningKeyOptions.SectionName).Get<SigningKeyOptions>() ?? new SigningKeyOptions();
            var annotations = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
            System.ComponentModel.DataAnnotations.Validator.TryValidateObject(keys, new(keys), annotations, validateAllProperties: true);
            errors.AddRange(annotations.Select(r => $"{SigningKeyOptions.SectionName}: {r.ErrorMessage}"));
            var rules = new SigningKeyOptionsValidator().Validate(null, keys);
            if (rules.Failed)
            {
                errors.AddRange(rules.Failures);
            }
            return errors.Count == 0 ? null : string.Join("; ", errors);
        }
        catch (InvalidOperationException e) when (e.InnerException is not null)
        {
            // The binder's "Failed to convert configuration value at 'Auth:...' to type ..." names the key.
            return e.Message;
        }
    }

    /// <summary>IdentityServer4's endpoint paths, the account pages and the admin API.</summary>
    public static WebApplication MapAuthServer(this WebApplication app)
    {
        app.UseStoreUnavailableResponses();
        app.UseCors();
        app.UseAuthentication();

        app.MapGet(DiscoveryEndpoints.ConfigurationPath, DiscoveryEndpoints.DocumentAsync).RequireCors(ClientCorsPolicyProvider.PolicyName);
        app.MapGet(DiscoveryEndpoints.JwksPath, DiscoveryEndpoints.JwksAsync).RequireCors(ClientCorsPolicyProvider.PolicyName);
        app.MapMethods(AuthorizeEndpoint.Path, ["GET", "POST"], (HttpContext ctx, AuthorizeEndpoint e) => e.HandleAsync(ctx));
        app.MapPost("/connect/token", (HttpContext ctx, TokenEndpoint e) => e.HandleAsync(ctx)).RequireCors(ClientCorsPolicyProvider.PolicyName);
        app.MapMethods("/connect/userinfo", ["GET", "POST"], ProtocolEndpoints.UserInfoAsync).RequireCors(ClientCorsPolicyProvider.PolicyName);
        app.MapPost("/connect/introspect", ProtocolEndpoints.IntrospectAsync);
        app.MapPost("/connect/revocation", ProtocolEndpoints.RevokeAsync).RequireCors(ClientCorsPolicyProvider.PolicyName);
        app.MapMethods("/connect/endsession", ["GET", "POST"], ProtocolEndpoints.EndSessionAsync);
        app.MapAccountPages();
        app.MapAdminApi();
        return app;
    }
}
