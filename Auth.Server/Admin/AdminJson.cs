using System.Text.Json;
using Infrastructure.Auth.Server.Requests;
using Infrastructure.ServiceDefaults.Web;
using Microsoft.Extensions.Options;

namespace Infrastructure.Auth.Server.Admin;

/// <summary>Reads an admin API JSON body within limits: a body that is not JSON of the expected shape is a 400 problem, never a 500.</summary>
internal static class AdminJson
{
    private const int MaxBodyBytes = 64 * 1024;

    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpContext context)
        where T : class
    {
        var request = context.Request;
        if (!request.HasJsonContentType())
        {
            return (null, Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, detail: "expected an application/json body"));
        }
        try
        {
            if (await BoundedBody.ReadAsync(request, MaxBodyBytes, context.RequestAborted) is not { } body)
            {
                return (null, Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: $"the body is larger than {MaxBodyBytes} bytes"));
            }
            using var document = JsonDocument.Parse(body);
            // PostgreSQL stores neither NUL in text nor \u0000 in jsonb; no admin field needs any control character.
            if (FindControlCharacter(document.RootElement, "$") is { } path)
            {
                return (null, Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: $"{path} contains a control character"));
            }
            var options = context.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
            var value = document.RootElement.Deserialize<T>(options);
            return value is null ? (null, Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: "a JSON object is required")) : (value, null);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or BadHttpRequestException or IOException)
        {
            // InvalidOperationException: a string that is not valid UTF-8 surfaces only when it is read.
            return (null, Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: "the body is not a readable JSON object: " + e.Message));
        }
    }

    private static string? FindControlCharacter(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return RequestForm.HasControlCharacter(element.GetString()!) ? path : null;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (FindControlCharacter(item, $"{path}[{i++}]") is { } found)
                    {
                        return found;
                    }
                }
                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var at = $"{path}.{(RequestForm.HasControlCharacter(property.Name) ? "?" : property.Name)}";
                    if (RequestForm.HasControlCharacter(property.Name))
                    {
                        return at;
                    }
                    if (FindControlCharacter(property.Value, at) is { } found)
                    {
                        return found;
                    }
                }
                return null;
            default:
                return null;
        }
    }
}
