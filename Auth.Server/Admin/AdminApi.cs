using Infrastructure.Auth.Server.Configuration;
using Infrastructure.Auth.Server.Endpoints;
using Infrastructure.Auth.Server.Stores;
using Infrastructure.Auth.Server.Tokens;
using Infrastructure.ServiceDefaults.Security;

namespace Infrastructure.Auth.Server.Admin;

/// <summary>User as the admin API reads and writes it (password write-only).</summary>
internal sealed record AdminUser(string SubjectId, string Username, string? Password, bool IsActive, Dictionary<string, string>? Claims, DateTimeOffset? LockoutEnd = null);

/// <summary><c>/api/admin/clients</c> and <c>/api/admin/users</c>: manage clients and users with a bearer token holding scope <c>auth.admin</c>.</summary>
internal static class AdminApi
{
    public const string Prefix = "/api/admin";

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Prefix).AddEndpointFilter(RequireAdminTokenAsync);
        group.MapGet("/clients", async (IClientStore store, CancellationToken ct) =>
            Results.Json((await store.ListClientsAsync(ct)).Select(WithoutSecrets)));
        group.MapGet("/clients/{clientId}", async (string clientId, IClientStore store, CancellationToken ct) =>
            await store.FindClientAsync(clientId, ct) is { } c ? Results.Json(WithoutSecrets(c)) : Results.NotFound());
        group.MapPut("/clients/{clientId}", PutClientAsync);
        group.MapDelete("/clients/{clientId}", async (string clientId, IClientStore store, CancellationToken ct) =>
            await store.DeleteClientAsync(clientId, ct) ? Results.NoContent() : Results.NotFound());

        group.MapGet("/users", async (IUserStore store, CancellationToken ct) => Results.Json((await store.ListUsersAsync(ct)).Select(ToAdmin)));
        group.MapGet("/users/{subjectId}", async (string subjectId, IUserStore store, CancellationToken ct) =>
            await store.FindBySubjectIdAsync(subjectId, ct) is { } u ? Results.Json(ToAdmin(u)) : Results.NotFound());
        group.MapPut("/users/{subjectId}", PutUserAsync);
        group.MapDelete("/users/{subjectId}", async (string subjectId, IUserStore store, CancellationToken ct) =>
            await store.DeleteUserAsync(subjectId, ct) ? Results.NoContent() : Results.NotFound());
        return app;
    }

    private static async Task<IResult> PutClientAsync(string clientId, HttpContext http, IClientStore store, IResourceStore resourceStore, ConfigurationSeed seed, AuthOptionsValidator validator, CancellationToken ct)
    {
        var (client, unreadable) = await AdminJson.ReadAsync<ClientOptions>(http);
        if (client is null)
        {
            return unreadable!;
        }
        // JSON null for a list means empty, as an omitted key does.
        client.ClientSecrets ??= [];
        client.AllowedGrantTypes ??= [];
        client.AllowedScopes ??= [];
        client.RedirectUris ??= [];
        client.PostLogoutRedirectUris ??= [];
        client.AllowedCorsOrigins ??= [];
        if (client.ClientId != clientId)
        {
            return Results.Problem(statusCode: 400, detail: "ClientId in the body must match the path");
        }
        // The configuration's rules; what only warns at start-up is refused here, since the caller can fix it right away.
        var probe = new AuthOptions { PlaintextSecrets = seed.SecretsArePlaintext, Clients = [client] };
        var findings = validator.Check(WithKnownScopes(probe, await resourceStore.GetResourcesAsync(ct)));
        if (findings.Errors.Count + findings.Warnings.Count > 0)
        {
            return Results.Problem(statusCode: 400, detail: string.Join("; ", findings.Errors.Concat(findings.Warnings)));
        }
        client.ClientSecrets = client.ClientSecrets.Select(seed.HashSecret).ToList();
        var existed = await store.FindClientAsync(clientId, ct) is not null;
        await store.UpsertClientAsync(client, ct);
        return existed ? Results.NoContent() : Results.Created($"{Prefix}/clients/{Uri.EscapeDataString(clientId)}", WithoutSecrets(client));
    }

    private static async Task<IResult> PutUserAsync(string subjectId, HttpContext http, IUserStore store, ConfigurationSeed seed, CancellationToken ct)
    {
        var (body, unreadable) = await AdminJson.ReadAsync<AdminUser>(http);
        if (body is null)
        {
            return unreadable!;
        }
        if (body.SubjectId != subjectId || string.IsNullOrWhiteSpace(body.Username))
        {
            return Results.Problem(statusCode: 400, detail: "SubjectId must match the path and Username is required");
        }
        var existing = await store.FindBySubjectIdAsync(subjectId, ct);
        if (existing is null && string.IsNullOrEmpty(body.Password))
        {
            return Results.Problem(statusCode: 400, detail: "Password is required for a new user");
        }
        var other = await store.FindByUsernameAsync(body.Username, ct);
        if (other is not null && other.SubjectId != subjectId)
        {
            return Results.Problem(statusCode: 409, detail: "Username is taken");
        }
        var record = string.IsNullOrEmpty(body.Password)
            ? new UserRecord { SubjectId = subjectId, Username = body.Username, PasswordHash = existing!.PasswordHash }
            : seed.ToRecord(new TestUserOptions { SubjectId = subjectId, Username = body.Username, Password = body.Password });
        record.IsActive = body.IsActive;
        record.Claims = body.Claims ?? existing?.Claims ?? [];
        await store.UpsertUserAsync(record, ct);
        return existing is null ? Results.Created($"{Prefix}/users/{Uri.EscapeDataString(subjectId)}", ToAdmin(record)) : Results.NoContent();
    }

    private static async ValueTask<object?> RequireAdminTokenAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (AuthorizationHeader.Bearer(http.Request) is not { } bearer)
        {
            return OAuthErrors.BearerError(OAuthErrors.InvalidToken, "bearer token required");
        }
        var tokens = http.RequestServices.GetRequiredService<TokenService>();
        var issuer = http.RequestServices.GetRequiredService<IssuerResolver>().GetIssuer(http);
        var token = await tokens.ValidateAccessTokenAsync(issuer, bearer, http.RequestAborted);
        if (token is null)
        {
            return OAuthErrors.BearerError(OAuthErrors.InvalidToken, "invalid or expired token");
        }
        if (!token.Scopes.Contains(OidcConstants.AdminScope))
        {
            return OAuthErrors.BearerError(OAuthErrors.InsufficientScope, "scope auth.admin required", StatusCodes.Status403Forbidden);
        }
        return await next(context);
    }

    private static AuthOptions WithKnownScopes(AuthOptions probe, ResourceSet resources)
    {
        probe.ApiScopes = resources.ApiScopes.ToList();
        probe.IdentityResources = resources.IdentityResources.ToList();
        return probe;
    }

    private static object WithoutSecrets(ClientOptions c) => new
    {
        c.ClientId, c.ClientName, c.Enabled, c.RequireClientSecret, c.AllowedGrantTypes, c.AllowedScopes, c.RedirectUris,
        c.PostLogoutRedirectUris, c.AllowedCorsOrigins, c.RequirePkce, c.RequireConsent, c.AllowOfflineAccess,
        c.AccessTokenLifetime, AccessTokenType = c.AccessTokenType.ToString(), RefreshTokenUsage = c.RefreshTokenUsage.ToString(),
        ClientSecrets = c.ClientSecrets.Select(s => new { s.Description, s.Expiration }),
    };

    private static AdminUser ToAdmin(UserRecord u) => new(u.SubjectId, u.Username, null, u.IsActive, u.Claims, u.LockoutEnd);
}
