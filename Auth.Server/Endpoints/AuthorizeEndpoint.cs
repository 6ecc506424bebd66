using System.Security.Claims;
using System.Text.Json;
using Infrastructure.Auth.Server.Account;
using Infrastructure.Auth.Server.Configuration;
using Infrastructure.Auth.Server.Requests;
using Infrastructure.Auth.Server.Stores;
using Infrastructure.Auth.Server.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Infrastructure.Auth.Server.Endpoints;

/// <summary><c>GET|POST /connect/authorize</c>: response_type=code with PKCE; login and consent by redirect; errors to a valid redirect_uri only.</summary>
internal sealed class AuthorizeEndpoint(
    IClientStore clients,
    IResourceStore resourceStore,
    IPersistedGrantStore grants,
    IssuerResolver issuers,
    TimeProvider time)
{
    public const string Path = "/connect/authorize";
    private const int MaxParameterLength = 2048;

    public async Task<IResult> HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> source = context.Request.Query;
        if (HttpMethods.IsPost(context.Request.Method))
        {
            // Nothing in a body that cannot be read can be trusted, redirect_uri included: the error page, never a redirect.
            var read = await RequestForm.ReadAsync(context);
            if (read.Form is null)
            {
                // IdentityServer4 answers a POST that is no form with 415.
                return ErrorPage("The authorization request cannot be read: " + read.Error, read.WrongContentType ? StatusCodes.Status415UnsupportedMediaType : StatusCodes.Status400BadRequest);
            }
            source = read.Form;
        }
        var raw = source.ToList();
        if (raw.Any(p => p.Value.Count > 1 || p.Value.ToString().Length > MaxParameterLength))
        {
            return ErrorPage("A parameter is repeated or too long.");
        }
        if (RequestForm.FindControlCharacter(raw) is { } bad)
        {
            return ErrorPage($"The parameter '{bad}' contains a control character.");
        }
        var p = raw.ToDictionary(x => x.Key, x => x.Value.ToString(), StringComparer.Ordinal);
        string? Get(string name) => p.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

        var client = Get("client_id") is { } id ? await clients.FindClientAsync(id, ct) : null;
        if (client is null || !client.Enabled)
        {
            return ErrorPage("Unknown or disabled client.");
        }
        var redirectUri = Get("redirect_uri");
        if (redirectUri is null || !client.RedirectUris.Contains(redirectUri, StringComparer.Ordinal))
        {
            // Never redirect to an unregistered URI (open redirector); exact match only.
            return ErrorPage("The redirect_uri is not registered for this client.");
        }
        var issuer = issuers.GetIssuer(context);
        var state = Get("state");
        IResult Fail(string error, string description) => Redirect(redirectUri, issuer, state, ("error", error), ("error_description", description));

        if (Get("response_type") != "code")
        {
            return Fail(OAuthErrors.UnsupportedResponseType, "only response_type=code is supported");
        }
        if (!client.AllowedGrantTypes.Contains(OidcConstants.AuthorizationCode))
        {
            return Fail(OAuthErrors.UnauthorizedClient, "client may not use the authorization code flow");
        }
        if (Get("response_mode") is { } mode && mode != "query")
        {
            return Fail(OAuthErrors.InvalidRequest, "only response_mode=query is supported");
        }
        if (Get("request") is not null || Get("request_uri") is not null)
        {
            return Fail("request_not_supported", "request objects are not supported");
        }
        var resources = await resourceStore.GetResourcesAsync(ct);
        var requested = ScopeValidator.Parse(Get("scope"));
        if (requested.Count == 0)
        {
            return Fail(OAuthErrors.InvalidScope, "scope is required");
        }
        var (scopes, scopeError) = ScopeValidator.Validate(client, requested, resources, identityAllowed: true);
        if (scopes is null)
        {
            return Fail(OAuthErrors.InvalidScope, scopeError!);
        }
        var challenge = Get("code_challenge");
        var method = Get("code_challenge_method");
        if (challenge is null)
        {
            if (client.RequirePkce || client.IsPublic)
            {
                return Fail(OAuthErrors.InvalidRequest, "code_challenge is required (PKCE)");
            }
        }
        else if (method != "S256")
        {
            return Fail(OAuthErrors.InvalidRequest, "code_challenge_method must be S256");
        }
        else if (!PkceVerifier.IsValidFormat(challenge))
        {
            return Fail(OAuthErrors.InvalidRequest, "malformed code_challenge");
        }
        var nonce = Get("nonce");
        var prompt = ScopeValidator.Parse(Get("prompt"));

        var login = await context.AuthenticateAsync(AccountEndpoints.Scheme);
        var returnUrl = Path + QueryString.Create(p.Where(x => x.Key != "prompt").Select(x => KeyValuePair.Create(x.Key, (string?)x.Value)));
        if (!login.Succeeded || prompt.Contains("login"))
        {
            if (prompt.Contains("none"))
            {
                return Fail(OAuthErrors.LoginRequired, "the user is not signed in");
            }
            return Results.Redirect(AccountEndpoints.LoginPath + QueryString.Create("returnUrl", returnUrl));
        }
        var principal = login.Principal!;
        var subject = principal.FindFirstValue(JwtRegisteredClaimNames.Sub)!;

        if (client.RequireConsent || prompt.Contains("consent"))
        {
            var decision = await grants.TryConsumeAsync(ConsentKeys.Decision(subject, client.ClientId), time.GetUtcNow(), ct);
            var decided = decision.Result == ConsumeResult.Consumed && decision.Grant!.Expiration > time.GetUtcNow()
                ? JsonSerializer.Deserialize<ConsentData>(decision.Grant.Data)
                : null;
            if (decided is { Granted: false })
            {
                return Fail(OAuthErrors.AccessDenied, "the user denied consent");
            }
            var covered = decided is not null && scopes.All(decided.Scopes.Contains);
            if (!covered && !prompt.Contains("consent"))
            {
                var remembered = await grants.GetAsync(ConsentKeys.Remembered(subject, client.ClientId), ct);
                covered = remembered is not null && (remembered.Expiration is null || remembered.Expiration > time.GetUtcNow())
                    && scopes.All(JsonSerializer.Deserialize<ConsentData>(remembered.Data)!.Scopes.Contains);
            }
            if (!covered)
            {
                if (prompt.Contains("none"))
                {
                    return Fail(OAuthErrors.ConsentRequired, "the user has not consented");
                }
                return Results.Redirect(AccountEndpoints.ConsentPath + QueryString.Create("returnUrl", returnUrl));
            }
        }

        var now = time.GetUtcNow();
        var code = Handles.Create();
        var data = new AuthorizationCodeData
        {
            Authorization = new AuthorizationData
            {
                ClientId = client.ClientId,
                SubjectId = subject,
                SessionId = principal.FindFirstValue(JwtRegisteredClaimNames.Sid),
                AuthTime = long.TryParse(principal.FindFirstValue(JwtRegisteredClaimNames.AuthTime), out var at) ? at : now.ToUnixTimeSeconds(),
                Amr = principal.FindAll("amr").Select(c => c.Value).ToList(),
                Scopes = scopes,
            },
            RedirectUri = redirectUri,
            CodeChallenge = challenge,
            CodeChallengeMethod = challenge is null ? null : method,
            Nonce = nonce,
        };
        await grants.StoreAsync(new PersistedGrant
        {
            Key = Handles.Key(code, GrantKinds.AuthorizationCode),
            Type = GrantKinds.AuthorizationCode,
            ClientId = client.ClientId,
            SubjectId = subject,
            SessionId = data.Authorization.SessionId,
            FamilyId = Handles.Create(),
            CreationTime = now,
            Expiration = now.AddSeconds(client.AuthorizationCodeLifetime),
            Data = JsonSerializer.Serialize(data),
        }, ct);
        return Redirect(redirectUri, issuer, state, ("code", code));
    }

    private static IResult Redirect(string redirectUri, string issuer, string? state, params (string Name, string Value)[] parameters)
    {
        var url = redirectUri;
        foreach (var (name, value) in parameters)
        {
            url = QueryHelpers.AddQueryString(url, name, value);
        }
        if (state is not null)
        {
            url = QueryHelpers.AddQueryString(url, "state", state);
        }
        url = QueryHelpers.AddQueryString(url, "iss", issuer);
        return Results.Redirect(url);
    }

    private static IResult ErrorPage(string message, int status = StatusCodes.Status400BadRequest) =>
        Results.Content(Html.Page("Error", $"<h1>Authorization error</h1><p>{Html.Encode(message)}</p>"), "text/html; charset=utf-8", statusCode: status);
}

/// <summary>Storage keys of consent grants.</summary>
internal static class ConsentKeys
{
    public static string Remembered(string subject, string clientId) => Handles.Key(subject + "|" + clientId, GrantKinds.UserConsent);

    public static string Decision(string subject, string clientId) => Handles.Key(subject + "|" + clientId, GrantKinds.ConsentDecision);
}
