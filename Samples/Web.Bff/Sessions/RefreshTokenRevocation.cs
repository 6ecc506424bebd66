using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;

namespace Infrastructure.Samples.WebBff.Sessions;

/// <summary>
/// Revokes the session's refresh token at the authority's <c>revocation_endpoint</c> (RFC 7009) when the user logs out,
/// so the long-lived credential the BFF held for the browser dies with the session instead of living on in the store.
/// </summary>
internal sealed partial class RefreshTokenRevocation(IOptionsMonitor<OpenIdConnectOptions> oidc, ILogger<RefreshTokenRevocation> logger)
{
    /// <summary>Best effort: a failure is logged and the logout goes on (the token still expires on its own).</summary>
    public async Task RevokeAsync(HttpContext context)
    {
        var refreshToken = await context.GetTokenAsync("refresh_token");
        if (string.IsNullOrEmpty(refreshToken))
        {
            return;
        }
        var options = oidc.Get(OpenIdConnectDefaults.AuthenticationScheme);
        var ct = context.RequestAborted;
        try
        {
            var configuration = await options.ConfigurationManager!.GetConfigurationAsync(ct);
            var endpoint = configuration.RevocationEndpoint;
            if (string.IsNullOrEmpty(endpoint))
            {
                LogNoEndpoint();
                return;
            }
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
            {
                Content = new FormUrlEncodedContent([new("token", refreshToken), new("token_type_hint", "refresh_token")]),
            };
            // client_secret_basic: id and secret form-encoded before base64 (RFC 6749 §2.3.1).
            var credentials = Uri.EscapeDataString(options.ClientId!) + ":" + Uri.EscapeDataString(options.ClientSecret ?? "");
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
            using var response = await options.Backchannel.SendAsync(request, ct);
            if (response.IsSuccessStatusCode)
            {
                LogRevoked(endpoint);
            }
            else
            {
                LogRefused(endpoint, (int)response.StatusCode);
            }
        }
        catch (Exception ex) when ((ex is HttpRequestException or InvalidOperationException or TaskCanceledException) && !ct.IsCancellationRequested)
        {
            LogFailed(ex.Message);
        }
    }

    [LoggerMessage(EventId = 5301, Level = LogLevel.Information, Message = "Logout: refresh token revoked at {Endpoint}")]
    private partial void LogRevoked(string endpoint);

    [LoggerMessage(EventId = 5302, Level = LogLevel.Warning, Message = "Logout: the authority refused to revoke the refresh token at {Endpoint}: {Status}")]
    private partial void LogRefused(string endpoint, int status);

    [LoggerMessage(EventId = 5303, Level = LogLevel.Warning, Message = "Logout: the refresh token could not be revoked: {Error}")]
    private partial void LogFailed(string error);

    [LoggerMessage(EventId = 5304, Level = LogLevel.Warning, Message = "Logout: the authority's discovery document has no revocation_endpoint; the refresh token was not revoked")]
    private partial void LogNoEndpoint();
}
