using System.Text.Json;
using Infrastructure.Auth.Server.Account;
using Infrastructure.Auth.Server.Configuration;
using Infrastructure.Auth.Server.Requests;
using Infrastructure.Auth.Server.Stores;
using Infrastructure.Auth.Server.Tokens;

namespace Infrastructure.Auth.Server.Endpoints;

/// <summary><c>POST /connect/token</c>: client_credentials, password, authorization_code (+PKCE), refresh_token.</summary>
internal sealed class TokenEndpoint(
    ClientAuthenticator authenticator,
    IResourceStore resourceStore,
    IUserStore users,
    IPersistedGrantStore grants,
    TokenService tokens,
    UserLogin login,
    IssuerResolver issuers,
    TimeProvider time)
{
    public async Task<IResult> HandleAsync(HttpContext context)
    {
        var ct = context.RequestAborted;
        var read = await RequestForm.ReadAsync(context);
        if (read.Form is not { } form)
        {
            return OAuthErrors.Error(OAuthErrors.InvalidRequest, read.Error);
        }
        if (form.Any(p => p.Value.Count > 1))
        {
            return OAuthErrors.Error(OAuthErrors.InvalidRequest, "a parameter is repeated");
        }
        var auth = await authenticator.AuthenticateAsync(context, form, ct);
        if (auth.Error is not null)
        {
            return auth.Error;
        }
        var client = auth.Client!;
        var grantType = form["grant_type"].ToString();
        if (string.IsNullOrEmpty(grantType))
        {
            return OAuthErrors.Error(OAuthErrors.InvalidRequest, "grant_type is required");
        }
        if (!OidcConstants.SupportedGrantTypes.Contains(grantType))
        {
            return OAuthErrors.Error(OAuthErrors.UnsupportedGrantType, $"grant_type '{grantType}' is not supported");
        }
        var allowed = grantType == OidcConstants.RefreshToken ? client.AllowOfflineAccess : client.AllowedGrantTypes.Contains(grantType);
        if (!allowed)
        {
            return OAuthErrors.Error(OAuthErrors.UnauthorizedClient, $"client may not use grant_type '{grantType}'");
        }
        var resources = await resourceStore.GetResourcesAsync(ct);
        var issuer = issuers.GetIssuer(context);
        return grantType switch
        {
            OidcConstants.ClientCredentials => await ClientCredentialsAsync(client, form, resources, issuer, ct),
            OidcConstants.Password => await PasswordAsync(context, client, form, resources, issuer, ct),
            OidcConstants.AuthorizationCode => await AuthorizationCodeAsync(client, form, issuer, ct),
            _ => await RefreshAsync(client, form, issuer, ct),
        };
    }

    private async Task<IResult> ClientCredentialsAsync(ClientOptions client, IFormCollection form, ResourceSet resources, string issuer, CancellationToken ct)
    {
        var requested = ScopeValidator.Parse(form["scope"]);
        var (scopes, error) = requested.Count == 0
            ? (ScopeValidator.Default(client, resources, identityAllowed: false), null)
            : ScopeValidator.Validate(client, requested, resources, identityAllowed: false);
        if (scopes is null || scopes.Count == 0)
        {
            return OAuthErrors.Error(OAuthErrors.InvalidScope, error ?? "no scope to grant");
        }
        var data = new AuthorizationData { ClientId = client.ClientId, Scopes = scopes };
        return Respond(await tokens.IssueAsync(issuer, new TokenRequest(client, data, null, null), false, null, null, ct));
    }

    private async Task<IResult> PasswordAsync(HttpContext context, ClientOptions client, IFormCollection form, ResourceSet resources, string issuer, CancellationToken ct)
    {
        var requested = ScopeValidator.Parse(form["scope"]);
        var (scopes, error) = requested.Count == 0
            ? (ScopeValidator.Default(client, resources, identityAllowed: true), null)
            : ScopeValidator.Validate(client, requested, resources, identityAllowed: true);
        if (scopes is null || scopes.Count == 0)
        {
            return OAuthErrors.Error(OAuthErrors.InvalidScope, error ?? "no scope to grant");
        }
        var (outcome, user) = await login.CheckAsync(context, form["username"], form["password"], ct);
        if (outcome == LoginOutcome.Throttled)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(login.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return OAuthErrors.Error(OAuthErrors.InvalidGrant, "too many failed logins for this username; retry later", StatusCodes.Status429TooManyRequests);
        }
        if (outcome != LoginOutcome.Success)
        {
            return OAuthErrors.Error(OAuthErrors.InvalidGrant, outcome == LoginOutcome.LockedOut ? "user is locked out" : "invalid username or password");
        }
        var now = time.GetUtcNow();
        var data = new AuthorizationData
        {
            ClientId = client.ClientId,
            SubjectId = user!.SubjectId,
            AuthTime = now.ToUnixTimeSeconds(),
            Amr = ["pwd"],
            Scopes = scopes,
        };
        return Respond(await tokens.IssueAsync(issuer, new TokenRequest(client, data, user, Handles.Create()), false, null, null, ct));
    }

    private async Task<IResult> AuthorizationCodeAsync(ClientOptions client, IFormCollection form, string issuer, CancellationToken ct)
    {
        var code = form["code"].ToString();
        if (string.IsNullOrEmpty(code))
        {
            return OAuthErrors.Error(OAuthErrors.InvalidRequest, "code is required");
        }
        var now = time.GetUtcNow();
        var (result, grant) = await grants.TryConsumeAsync(Handles.Key(code, GrantKinds.AuthorizationCode), now, ct);
        if (result == ConsumeResult.NotFound || grant is null)
        {
            return OAuthErrors.Error(OAuthErrors.InvalidGrant, "invalid authorization code");
        }
        if (result == ConsumeResult.AlreadyConsumed)
        {
            // Security BCP §4.5: a replayed code means it leaked; revoke everything it produced.
            if (grant.FamilyId is not null)
            {
                await grants.RemoveFamilyAsync(grant.FamilyId, ct);
            }
            return OAuthErrors.Error(OAuthErrors.InvalidGrant, "authorization code already used; tokens issued from it are revoked");
        }
        if (grant.ClientId != client.ClientId)
        {
            return OAuthErrors.Error(OAuthErrors.InvalidGrant, "code was issued to another client");
        }
        if (grant.Expiration <= now)
        {
            return OAuthErrors.Error(OAuthErrors.InvalidGrant, "authorization code expired");
        }
        var data = JsonSerializer.Deserialize<AuthorizationCodeData>(grant.Data)!;
        if (form["redirect_uri"].ToString() != data.RedirectUri)
        {
            return OAuthErrors.Error(OAuthErrors.InvalidGrant, "redirect_uri does not match the authorization request");
        }
        var verifier = form["code_verifier"].ToString();
        if (data.CodeChallenge is null)
        {
            if (verifier.Length > 0)
            {
                return OAuthErrors.Error(OAuthErrors.InvalidGrant, "code_verifier sent but no code_challenge was");
            }
        }
        else
        {
            if (!PkceVerifier.IsValidFormat(verifier))
            {
                return OAuthErrors.Error(OAuthErrors.InvalidGrant, "code_verifier missing or malformed");
            }
            if (!Handles.FixedTimeEquals(Handles.S256(verifier), data.CodeChallenge))
            {
                return OAuthErrors.Error(OAuthErrors.InvalidGrant, "code_verifier does not match code_challenge");
            }
        }
        var user = data.Authorization.SubjectId is { } sub ? await users.FindBySubjectIdAsync(sub, ct) : null;
        if (user is null || !user.IsActive)
        {
            return OAuthErrors.Error(OAuthErrors.InvalidGrant, "user is no longer active");
        }
        var issued = await tokens.IssueAsync(issuer, new TokenRequest(client, data.Authorization, user, grant.FamilyId), true, data.Nonce, code, ct);
        return Respond(issued);
    }

    private async Task<IResult> RefreshAsync(ClientOptions client, IFormCollection form, string issuer, CancellationToken ct)
    {
        var handle = form["refresh_token"].ToString();
        if (string.IsNullOrEmpty(handle))
        {
            return OAuthErrors.Error(OAuthErrors.InvalidRequest, "refresh_token is required");
        }
        var key = Handles.Key(handle, GrantKinds.RefreshToken);
        var now = time.GetUtcNow();
        PersistedGrant? grant;
        if (client.RefreshTokenUsage == TokenUsage.OneTimeOnly)
        {
            (var result, grant) = await grants.TryConsumeAsync(key, now, ct);
            if (result == ConsumeResult.AlreadyConsumed && grant is not null && grant.ClientId == client.ClientId)
            {
                // Reuse of a rotated refresh token: either the client or an attacker holds a stale copy; end the whole family.
                if (grant.FamilyId is not null)
                {
                    await grants.RemoveFamilyAsync(grant.FamilyId, ct);
                }
                return OAuthErrors.Error(OAuthErrors.InvalidGrant, "refresh token already used; its token family is revoked");
            }
            if (result != ConsumeResult.Consumed)
            {
                grant = null;
            }
        }
        else
        {
            grant = await grants.GetAsync(key, ct);
        }
        if (grant is null || grant.ClientId != client.ClientId || grant.Expiration <= now)
        {
            return OAuthErrors.Error(OAuthErrors.InvalidGrant, "invalid refresh token");
        }
        var data = JsonSerializer.Deserialize<RefreshTokenData>(grant.Data)!.Authorization;
        var user = data.SubjectId is { } sub ? await users.FindBySubjectIdAsync(sub, ct) : null;
        if (user is null || !user.IsActive)
        {
            return OAuthErrors.Error(OAuthErrors.InvalidGrant, "user is no longer active");
        }
        var requested = ScopeValidator.Parse(form["scope"]);
        if (requested.Any(s => !data.Scopes.Contains(s)))
        {
            return OAuthErrors.Error(OAuthErrors.InvalidScope, "a refresh may only narrow the original scopes");
        }
        var scopes = requested.Count > 0 ? requested.Append(OidcConstants.OfflineAccess).Distinct().ToList() : data.Scopes;
        var narrowed = data with { Scopes = scopes };
        var issued = await tokens.IssueAsync(issuer, new TokenRequest(client, narrowed, user, grant.FamilyId), true, null, null, ct);
        if (client.RefreshTokenUsage == TokenUsage.ReUse && issued.RefreshToken is not null)
        {
            // ReUse keeps the presented token; drop the one IssueAsync created.
            await grants.RemoveAsync(Handles.Key(issued.RefreshToken, GrantKinds.RefreshToken), ct);
            issued = issued with { RefreshToken = handle };
        }
        return Respond(issued);
    }

    private static IResult Respond(IssuedTokens issued) => new TokenResponseResult(issued);

    private sealed class TokenResponseResult(IssuedTokens issued) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            OAuthErrors.NoStore(context.Response);
            var body = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["access_token"] = issued.AccessToken,
                ["expires_in"] = issued.ExpiresIn,
                ["token_type"] = "Bearer",
                ["scope"] = string.Join(' ', issued.Scopes),
            };
            if (issued.RefreshToken is not null)
            {
                body["refresh_token"] = issued.RefreshToken;
            }
            if (issued.IdToken is not null)
            {
                body["id_token"] = issued.IdToken;
            }
            return context.Response.WriteAsJsonAsync(body);
        }
    }
}

/// <summary>RFC 7636 §4.1: 43-128 characters of [A-Z a-z 0-9 - . _ ~].</summary>
internal static class PkceVerifier
{
    public static bool IsValidFormat(string? value) =>
        value is { Length: >= 43 and <= 128 } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~');
}
