namespace Infrastructure.Auth.Server.Endpoints;

/// <summary>RFC 6749 §5.2 error responses: <c>{"error": ..., "error_description": ...}</c>, no caching.</summary>
internal static class OAuthErrors
{
    public const string InvalidRequest = "invalid_request";
    public const string InvalidClient = "invalid_client";
    public const string InvalidGrant = "invalid_grant";
    public const string UnauthorizedClient = "unauthorized_client";
    public const string UnsupportedGrantType = "unsupported_grant_type";
    public const string InvalidScope = "invalid_scope";
    public const string UnsupportedResponseType = "unsupported_response_type";
    public const string AccessDenied = "access_denied";
    public const string LoginRequired = "login_required";
    public const string ConsentRequired = "consent_required";
    public const string UnsupportedTokenType = "unsupported_token_type";
    public const string InvalidToken = "invalid_token";
    public const string InsufficientScope = "insufficient_scope";

    public static IResult Error(string error, string? description = null, int status = StatusCodes.Status400BadRequest) =>
        new ErrorResult(error, description, status);

    /// <summary>401 with <c>WWW-Authenticate: Basic</c>, as RFC 6749 §5.2 asks for invalid_client.</summary>
    public static IResult InvalidClientError(string? description = null) =>
        new ErrorResult(InvalidClient, description, StatusCodes.Status401Unauthorized, "Basic realm=\"auth\"");

    /// <summary>RFC 6750 §3 bearer token error.</summary>
    public static IResult BearerError(string error, string description, int status = StatusCodes.Status401Unauthorized) =>
        new BearerErrorResult(error, description, status);

    public static void NoStore(HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
    }

    private sealed class ErrorResult(string error, string? description, int status, string? challenge = null) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = status;
            NoStore(context.Response);
            if (challenge is not null)
            {
                context.Response.Headers.WWWAuthenticate = challenge;
            }
            var body = new Dictionary<string, string>(StringComparer.Ordinal) { ["error"] = error };
            if (description is not null)
            {
                body["error_description"] = description;
            }
            return context.Response.WriteAsJsonAsync(body);
        }
    }

    private sealed class BearerErrorResult(string error, string description, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            context.Response.StatusCode = status;
            context.Response.Headers.WWWAuthenticate = $"Bearer error=\"{error}\", error_description=\"{HeaderSafe(description)}\"";
            return Task.CompletedTask;
        }

        /// <summary>
        /// RFC 6750 §3: error_description holds only %x20-21 / %x23-5B / %x5D-7E. The description may quote the request
        /// (a field name), and anything else in a header makes Kestrel throw (a 500).
        /// </summary>
        private static string HeaderSafe(string description) =>
            string.Create(description.Length, description, static (span, d) =>
            {
                for (var i = 0; i < d.Length; i++)
                {
                    var c = d[i];
                    span[i] = c == '"' ? '\'' : c is >= ' ' and <= '~' and not '\\' ? c : '?';
                }
            });
    }
}
