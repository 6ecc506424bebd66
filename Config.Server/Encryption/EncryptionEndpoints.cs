using System.Security.Cryptography;
using System.Text;
using Infrastructure.Config.Server.Limits;
using Infrastructure.Config.Server.Security;
using Microsoft.Extensions.Options;

namespace Infrastructure.Config.Server.Encryption;

/// <summary><c>POST /encrypt</c>, <c>POST /decrypt</c>, <c>GET /encrypt/status</c> with Spring's bodies and status codes.</summary>
internal static class EncryptionEndpoints
{
    public static IEndpointRouteBuilder MapEncryptionEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var app = endpoints.MapGroup("").RequireAuthorization(ConfigPolicies.Admin);
        app.MapGet("/encrypt/status", (CipherService cipher) =>
            cipher.HasKey ? Results.Json(new { status = "OK" }) : NoKey());

        app.MapPost("/encrypt", async (HttpRequest request, CipherService cipher, IOptions<InputLimits> limits) =>
        {
            if (!cipher.HasKey)
            {
                return NoKey();
            }
            var text = await ReadBodyAsync(request, limits.Value);
            return Results.Text(cipher.Encrypt(text), "text/plain", Encoding.UTF8);
        });

        app.MapPost("/decrypt", async (HttpRequest request, CipherService cipher, IOptions<InputLimits> limits) =>
        {
            if (!cipher.HasKey)
            {
                return NoKey();
            }
            var text = await ReadBodyAsync(request, limits.Value);
            try
            {
                return Results.Text(cipher.Decrypt(text), "text/plain", Encoding.UTF8);
            }
            catch (Exception e) when (e is CryptographicException or DecoderFallbackException)
            {
                return Results.Json(new { description = "Text not encrypted with this key", status = "INVALID" }, statusCode: StatusCodes.Status400BadRequest);
            }
        });
        return endpoints;
    }

    private static IResult NoKey() =>
        Results.Json(new { description = "No key was installed for encryption service", status = "NO_KEY" }, statusCode: StatusCodes.Status404NotFound);

    /// <summary>curl -d sends form encoding: "secret" arrives as "secret=" and percent-encoded; Spring undoes both.</summary>
    private static async Task<string> ReadBodyAsync(HttpRequest request, InputLimits limits)
    {
        var body = await RequestBodyReader.ReadTextAsync(request, limits);
        if (request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) == true)
        {
            if (body.EndsWith('='))
            {
                body = body[..^1];
            }
            body = RequestBodyReader.FormDecode(body);
        }
        return body;
    }
}
