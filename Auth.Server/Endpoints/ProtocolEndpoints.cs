using Infrastructure.Auth.Server.Account;
using Infrastructure.Auth.Server.Configuration;
using Infrastructure.Auth.Server.Requests;
using Infrastructure.Auth.Server.Stores;
using Infrastructure.Auth.Server.Tokens;
using Infrastructure.ServiceDefaults.Security;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Infrastructure.Auth.Server.Endpoints;

/// <summary>userinfo, introspection (RFC 7662), revocation (RFC 7009) and end session.</summary>
internal static class ProtocolEndpoints
{
    /// <summary><c>GET|POST /connect/userinfo</c>: claims released by the token's identity scopes.</summary>
    public static async Task<IResult> UserInfoAsync(HttpContext context, TokenService tokens, IssuerResolver issuers, IUserStore users, IResourceStore resourceStore)
    {
        var ct = context.RequestAborted;
        var (token, unreadable) = await ReadBearerAsync(context);
        if (unreadable is not null)
        {
            return unreadable;
        }
        if (token is null)
        {
            return OAuthErrors.BearerError(OAuthErrors.InvalidToken, "no bearer token");
        }
        var validated = await tokens.ValidateAccessTokenAsync(issuers.GetIssuer(context), token, ct);
        if (validated is null)
        {
            return OAuthErrors.BearerError(OAuthErrors.InvalidToken, "invalid or expired token");
        }
        if (!validated.Scopes.Contains(OidcConstants.OpenId) || validated.SubjectId is null)
        {
            return OAuthErrors.BearerError(OAuthErrors.InsufficientScope, "the openid scope is required", StatusCodes.Status403Forbidden);
        }
        var user = await users.FindBySubjectIdAsync(validated.SubjectId, ct);
        if (user is null || !user.IsActive)
        {
            return OAuthErrors.BearerError(OAuthErrors.InvalidToken, "the user is no longer active");
        }
        var resources = await resourceStore.GetResourcesAsync(ct);
        var body = new Dictionary<string, string>(StringComparer.Ordinal) { ["sub"] = user.SubjectId };
        foreach (var (type, value) in TokenService.UserClaimsFor(user, validated.Scopes, resources))
        {
            body[type] = value;
        }
        OAuthErrors.NoStore(context.Response);
        return Results.Json(body);
    }

    /// <summary><c>POST /connect/introspect</c>: API resources authenticate with ApiSecrets; inactive for unknown, expired, revoked or foreign-audience tokens.</summary>
    public static async Task<IResult> IntrospectAsync(HttpContext context, ClientAuthenticator authenticator, TokenService tokens, IssuerResolver issuers, IResourceStore resourceStore)
    {
        var ct = context.RequestAborted;
        var read = await RequestForm.ReadAsync(context);
        if (read.Form is not { } form)
        {
            return OAuthErrors.Error(OAuthErrors.InvalidRequest, read.Error);
        }
        var resources = await resourceStore.GetResourcesAsync(ct);
        var (api, error) = authenticator.AuthenticateApi(context, form, resources);
        if (error is not null)
        {
            return error;
        }
        var token = form["token"].ToString();
        if (token.Length == 0)
        {
            return OAuthErrors.Error(OAuthErrors.InvalidRequest, "token is required");
        }
        OAuthErrors.NoStore(context.Response);
        var validated = await tokens.ValidateAccessTokenAsync(issuers.GetIssuer(context), token, ct);
        if (validated is null || !validated.Audiences.Contains(api!.Name))
        {
            return Results.Json(new { active = false });
        }
        var body = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (name, value) in validated.Payload)
        {
            body[name] = value;
        }
        // The caller sees only the scopes that belong to it.
        body["scope"] = string.Join(' ', validated.Scopes.Where(api.Scopes.Contains));
        body["active"] = true;
        body["token_type"] = "access_token";
        return Results.Json(body);
    }

    /// <summary><c>POST /connect/revocation</c>: refresh tokens (with their family) and reference tokens; always 200 for unknown tokens.</summary>
    public static async Task<IResult> RevokeAsync(HttpContext context, ClientAuthenticator authenticator, IPersistedGrantStore grants)
    {
        var ct = context.RequestAborted;
        var read = await RequestForm.ReadAsync(context);
        if (read.Form is not { } form)
        {
            return OAuthErrors.Error(OAuthErrors.InvalidRequest, read.Error);
        }
        var auth = await authenticator.AuthenticateAsync(context, form, ct);
        if (auth.Error is not null)
        {
            return auth.Error;
        }
        var token = form["token"].ToString();
        if (token.Length == 0)
        {
            return OAuthErrors.Error(OAuthErrors.InvalidRequest, "token is required");
        }
        var hint = form["token_type_hint"].ToString();
        if (hint.Length > 0 && hint is not ("access_token" or "refresh_token"))
        {
            return OAuthErrors.Error(OAuthErrors.UnsupportedTokenType, $"token_type_hint '{hint}' is not supported");
        }
        var clientId = auth.Client!.ClientId;
        var refresh = await grants.GetAsync(Handles.Key(token, GrantKinds.RefreshToken), ct);
        if (refresh is not null && refresh.ClientId == clientId)
        {
            // RFC 7009 §2.1: revoking a refresh token also ends the access tokens of the same grant (reference tokens here).
            if (refresh.FamilyId is not null)
            {
                await grants.RemoveFamilyAsync(refresh.FamilyId, ct);
            }
            await grants.RemoveAsync(refresh.Key, ct);
        }
        var reference = await grants.GetAsync(Handles.Key(token, GrantKinds.ReferenceToken), ct);
        if (reference is not null && reference.ClientId == clientId)
        {
            await grants.RemoveAsync(reference.Key, ct);
        }
        OAuthErrors.NoStore(context.Response);
        return Results.Ok();
    }

    /// <summary><c>GET|POST /connect/endsession</c>: signs out; redirects only to the hinted client's PostLogoutRedirectUris.</summary>
    public static async Task<IResult> EndSessionAsync(HttpContext context, TokenService tokens, IssuerResolver issuers, IClientStore clients, IAntiforgery antiforgery)
    {
        var ct = context.RequestAborted;
        IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> source = context.Request.Query;
        if (HttpMethods.IsPost(context.Request.Method))
        {
            var read = await RequestForm.ReadAsync(context);
            if (read.Form is null)
            {
                // IdentityServer4 answers a POST that is no form with 415; nobody is signed out either way.
                return ErrorPage("The end session request cannot be read: " + read.Error, read.WrongContentType ? StatusCodes.Status415UnsupportedMediaType : StatusCodes.Status400BadRequest);
            }
            source = read.Form;
        }
        if (RequestForm.FindControlCharacter(source) is { } bad)
        {
            return ErrorPage($"The parameter '{bad}' contains a control character.");
        }
        var p = source.ToDictionary(x => x.Key, x => x.Value.ToString(), StringComparer.Ordinal);
        string? Get(string name) => p.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

        JsonWebToken? hint = null;
        if (Get("id_token_hint") is { } raw)
        {
            hint = await tokens.ValidateIdTokenHintAsync(issuers.GetIssuer(context), raw, ct);
            if (hint is null)
            {
                return ErrorPage("Invalid id_token_hint.");
            }
        }
        var redirect = Get("post_logout_redirect_uri");
        if (redirect is not null)
        {
            var clientId = hint?.Audiences.FirstOrDefault() ?? Get("client_id");
            var client = clientId is null ? null : await clients.FindClientAsync(clientId, ct);
            if (hint is null || client is null || !client.PostLogoutRedirectUris.Contains(redirect, StringComparer.Ordinal))
            {
                return ErrorPage("The post_logout_redirect_uri is not registered for this client.");
            }
        }
        var current = await context.AuthenticateAsync(AccountEndpoints.Scheme);
        if (hint is null && current.Succeeded)
        {
            // Without proof that the request comes from the user's client, ask first (logout CSRF).
            return AccountEndpoints.LogoutConfirmation(context, antiforgery);
        }
        if (current.Succeeded && current.Principal!.FindFirst(JwtRegisteredClaimNames.Sub)?.Value == hint!.Subject)
        {
            await context.SignOutAsync(AccountEndpoints.Scheme);
        }
        if (redirect is null)
        {
            return AccountEndpoints.SignedOut();
        }
        return Results.Redirect(Get("state") is { } state ? QueryHelpers.AddQueryString(redirect, "state", state) : redirect);
    }

    /// <summary>RFC 6750: the bearer token from the Authorization header or a POSTed form (not the query).</summary>
    private static async Task<(string? Token, IResult? Error)> ReadBearerAsync(HttpContext context)
    {
        if (AuthorizationHeader.Bearer(context.Request) is { } bearer)
        {
            return (bearer, null);
        }
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            return (null, null);
        }
        var read = await RequestForm.ReadAsync(context);
        if (read.Form is { } form)
        {
            return (form["access_token"].FirstOrDefault(), null);
        }
        // A POST without a form simply has no token there; one whose form is broken is a bad request (RFC 6750 §3.1).
        return read.WrongContentType ? (null, null) : (null, OAuthErrors.BearerError(OAuthErrors.InvalidRequest, read.Error!, StatusCodes.Status400BadRequest));
    }

    private static IResult ErrorPage(string message, int status = StatusCodes.Status400BadRequest) =>
        Results.Content(Html.Page("Error", $"<h1>Sign-out error</h1><p>{Html.Encode(message)}</p>"), "text/html; charset=utf-8", statusCode: status);
}
