using Infrastructure.Auth.Server.Configuration;
using Infrastructure.Auth.Server.Requests;
using Infrastructure.Auth.Server.Security;
using Infrastructure.Auth.Server.Stores;
using Infrastructure.ServiceDefaults.Security;

namespace Infrastructure.Auth.Server.Endpoints;

/// <summary>Result of authenticating the caller of the token, revocation or introspection endpoint.</summary>
internal sealed record ClientAuthResult(ClientOptions? Client, IResult? Error, string? ClientId = null, string? Secret = null);

/// <summary>client_secret_basic and client_secret_post (RFC 6749 §2.3.1), public clients by client_id, throttled on failure.</summary>
internal sealed class ClientAuthenticator(IClientStore clients, ClientAuthenticationThrottle throttle, TimeProvider time)
{
    /// <summary>Reads credentials from the Authorization header or the form (not both).</summary>
    public static (string? ClientId, string? Secret, IResult? Error) ReadCredentials(HttpContext context, IFormCollection form)
    {
        string? id = null, secret = null;
        var basic = AuthorizationHeader.ReadBasic(context.Request, out var user, out var password);
        if (basic == BasicCredentialsRead.Malformed)
        {
            return (null, null, OAuthErrors.InvalidClientError("malformed Basic credentials"));
        }
        if (basic == BasicCredentialsRead.Read)
        {
            // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64.
            id = Uri.UnescapeDataString(user.Replace('+', ' '));
            secret = Uri.UnescapeDataString(password.Replace('+', ' '));
            // The form's own values are checked by RequestForm; these come from the header.
            if (RequestForm.HasControlCharacter(id) || RequestForm.HasControlCharacter(secret))
            {
                return (null, null, OAuthErrors.Error(OAuthErrors.InvalidRequest, "the Basic credentials contain a control character"));
            }
            if (form.ContainsKey("client_secret"))
            {
                return (null, null, OAuthErrors.Error(OAuthErrors.InvalidRequest, "more than one client authentication method"));
            }
            if (form.TryGetValue("client_id", out var formId) && formId.ToString() != id)
            {
                return (null, null, OAuthErrors.Error(OAuthErrors.InvalidRequest, "client_id differs from the authenticated client"));
            }
        }
        else
        {
            id = form["client_id"].FirstOrDefault();
            secret = form["client_secret"].FirstOrDefault();
        }
        return (string.IsNullOrEmpty(id) ? null : id, secret, null);
    }

    public async Task<ClientAuthResult> AuthenticateAsync(HttpContext context, IFormCollection form, CancellationToken ct)
    {
        var (id, secret, error) = ReadCredentials(context, form);
        if (error is not null)
        {
            return new ClientAuthResult(null, error);
        }
        if (id is null)
        {
            return new ClientAuthResult(null, OAuthErrors.InvalidClientError("client authentication required"));
        }
        var key = ClientAuthenticationThrottle.PartitionKey(context, id);
        if (throttle.IsBlocked(key))
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(throttle.Window.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return new ClientAuthResult(null, OAuthErrors.Error(OAuthErrors.InvalidClient, "too many failed client authentications; retry later", StatusCodes.Status429TooManyRequests));
        }
        var client = await clients.FindClientAsync(id, ct);
        if (client is null || !client.Enabled)
        {
            throttle.RecordFailure(key);
            return new ClientAuthResult(null, OAuthErrors.InvalidClientError("unknown or disabled client"));
        }
        if (client.RequireClientSecret)
        {
            var now = time.GetUtcNow();
            // Every secret is compared (constant time each) so timing does not reveal which one matched.
            var ok = false;
            foreach (var s in client.ClientSecrets)
            {
                ok |= secret is not null && (s.Expiration is null || s.Expiration > now) & SecretHasher.Matches(secret, s.Value);
            }
            if (!ok)
            {
                throttle.RecordFailure(key);
                return new ClientAuthResult(null, OAuthErrors.InvalidClientError("invalid client secret"));
            }
        }
        return new ClientAuthResult(client, null, id, secret);
    }

    /// <summary>Authenticates an API resource by its ApiSecrets (introspection), Basic or form.</summary>
    public (ApiResourceOptions? Api, IResult? Error) AuthenticateApi(HttpContext context, IFormCollection form, ResourceSet resources)
    {
        var (id, secret, error) = ReadCredentials(context, form);
        if (error is not null)
        {
            return (null, error);
        }
        var key = ClientAuthenticationThrottle.PartitionKey(context, id);
        if (throttle.IsBlocked(key))
        {
            return (null, OAuthErrors.Error(OAuthErrors.InvalidClient, "too many failed authentications; retry later", StatusCodes.Status429TooManyRequests));
        }
        var api = id is null ? null : resources.FindApiResource(id);
        var now = time.GetUtcNow();
        var ok = false;
        foreach (var s in api?.ApiSecrets ?? [])
        {
            ok |= secret is not null && (s.Expiration is null || s.Expiration > now) & SecretHasher.Matches(secret, s.Value);
        }
        if (!ok)
        {
            throttle.RecordFailure(key);
            return (null, OAuthErrors.InvalidClientError("invalid API resource credentials"));
        }
        return (api, null);
    }
}
