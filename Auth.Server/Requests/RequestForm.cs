using System.Text;
using Infrastructure.ServiceDefaults.Web;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace Infrastructure.Auth.Server.Requests;

/// <summary>A form read within <see cref="RequestForm"/>'s limits, or why it could not be.</summary>
internal sealed record FormReadResult(IFormCollection? Form, string? Error, bool WrongContentType = false);

/// <summary>
/// The one reader of request forms (protocol endpoints and account pages): application/x-www-form-urlencoded only,
/// strict UTF-8, bounded body, field count and lengths, no control characters. A body that breaks any of that comes
/// back as an error for the endpoint to answer in its own shape, never as an exception (a 500).
/// </summary>
internal static class RequestForm
{
    /// <summary>Largest body read; protocol requests are a few hundred bytes, an id_token_hint a few kilobytes.</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>Most fields in one form (ASP.NET Core's own default is 1024).</summary>
    public const int MaxFields = 100;

    private const int MaxKeyLength = 256;
    private const int MaxValueLength = 16 * 1024;

    // Invalid UTF-8 would otherwise become U+FFFD and pass for a different value.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads the form once and keeps it as <c>Request.Form</c>, so antiforgery and later reads see the same one.</summary>
    public static async Task<FormReadResult> ReadAsync(HttpContext context)
    {
        var request = context.Request;
        if (context.Items.TryGetValue(typeof(RequestForm), out var read) && read is IFormCollection cached)
        {
            return new FormReadResult(cached, null);
        }
        // RFC 6749 and IdentityServer4 take only this media type; multipart is not a protocol form.
        if (!MediaTypeHeaderValueIsUrlEncoded(request.ContentType))
        {
            return new FormReadResult(null, "expected an application/x-www-form-urlencoded body", WrongContentType: true);
        }
        if (!BoundedBody.TryLimit(context, MaxBodyBytes))
        {
            return new FormReadResult(null, $"the body is larger than {MaxBodyBytes} bytes");
        }
        Dictionary<string, StringValues> fields;
        try
        {
            var reader = new FormPipeReader(request.BodyReader, StrictUtf8)
            {
                ValueCountLimit = MaxFields,
                KeyLengthLimit = MaxKeyLength,
                ValueLengthLimit = MaxValueLength,
            };
            fields = await reader.ReadFormAsync(context.RequestAborted);
        }
        catch (InvalidDataException e)
        {
            // Limits and undecodable escapes such as %00; the message names which.
            return new FormReadResult(null, "the form cannot be read: " + e.Message);
        }
        catch (DecoderFallbackException)
        {
            return new FormReadResult(null, "the form is not valid UTF-8");
        }
        catch (BadHttpRequestException e)
        {
            return new FormReadResult(null, "the body cannot be read: " + e.Message);
        }
        catch (IOException)
        {
            return new FormReadResult(null, "the body ended before it was complete");
        }
        if (FindControlCharacter(fields) is { } field)
        {
            return new FormReadResult(null, $"'{field}' contains a control character");
        }
        var form = new FormCollection(fields);
        request.Form = form;
        context.Items[typeof(RequestForm)] = form;
        return new FormReadResult(form, null);
    }

    /// <summary>
    /// The first parameter whose name or value holds a control character (0x00-0x1F, 0x7F), or null. RFC 6749
    /// Appendix A allows a tab only in username and password; no parameter may hold CR, LF or NUL.
    /// </summary>
    public static string? FindControlCharacter(IEnumerable<KeyValuePair<string, StringValues>> parameters)
    {
        foreach (var (key, values) in parameters)
        {
            var tabAllowed = key is "username" or "password";
            if (HasControlCharacter(key, tabAllowed: false) || values.Any(v => v is not null && HasControlCharacter(v, tabAllowed)))
            {
                return Printable(key);
            }
        }
        return null;
    }

    /// <summary>Whether <paramref name="value"/> holds 0x00-0x1F or 0x7F (a tab only when not allowed).</summary>
    public static bool HasControlCharacter(string value, bool tabAllowed = false) =>
        value.Any(c => (c < ' ' && !(tabAllowed && c == '\t')) || c == '\x7F');

    private static string Printable(string key) =>
        new(key.Select(c => c < ' ' || c == '\x7F' ? '?' : c).Take(64).ToArray());

    private static bool MediaTypeHeaderValueIsUrlEncoded(string? contentType) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)
        && media.MediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);
}
