using System.Text;
using Infrastructure.ServiceDefaults.Web;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Infrastructure.Config.Server.Limits;

/// <summary>
/// The one way Config.Server's endpoints read a request body: at most <see cref="InputLimits.MaxRequestBodyBytes"/> (413 past it),
/// strict UTF-8 and no NUL (400), forms with at most <see cref="InputLimits.MaxFormFields"/> fields (400). Every refusal is a
/// <see cref="BadHttpRequestException"/>, answered in Spring's error shape.
/// </summary>
internal static class RequestBodyReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The body as text. A urlencoded body is returned as sent (its field count checked); a multipart one is refused.</summary>
    public static async Task<string> ReadTextAsync(HttpRequest request, InputLimits limits)
    {
        if (IsMultipart(request))
        {
            Boundary(request);
            throw new BadHttpRequestException("A multipart body is not accepted here: send the text itself (text/plain) or a form (application/x-www-form-urlencoded)", StatusCodes.Status415UnsupportedMediaType);
        }
        var text = Decode(await ReadBytesAsync(request, limits), "the body");
        if (request.HasFormContentType)
        {
            CountFields(text, limits);
        }
        return text;
    }

    /// <summary>The fields of an <c>application/x-www-form-urlencoded</c> or <c>multipart/form-data</c> body, in order.</summary>
    public static async Task<List<KeyValuePair<string, string>>> ReadFormAsync(HttpRequest request, InputLimits limits)
    {
        if (!IsMultipart(request))
        {
            var text = await ReadTextAsync(request, limits);
            return [.. text.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(pair =>
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                return eq < 0 ? new KeyValuePair<string, string>(FormDecode(pair), "") : new(FormDecode(pair[..eq]), FormDecode(pair[(eq + 1)..]));
            })];
        }
        var boundary = Boundary(request);
        var bytes = await ReadBytesAsync(request, limits);
        var reader = new MultipartReader(boundary, new MemoryStream(bytes, writable: false)) { HeadersCountLimit = 16, HeadersLengthLimit = 16 * 1024 };
        var fields = new List<KeyValuePair<string, string>>();
        try
        {
            while (await reader.ReadNextSectionAsync(request.HttpContext.RequestAborted) is { } section)
            {
                if (fields.Count >= limits.MaxFormFields)
                {
                    throw TooManyFields(limits);
                }
                var name = section.GetContentDispositionHeader()?.Name.Value is { } n ? HeaderUtilities.RemoveQuotes(n).Value ?? "" : "";
                using var ms = new MemoryStream();
                await section.Body.CopyToAsync(ms, request.HttpContext.RequestAborted);
                fields.Add(new(name, Decode(ms.ToArray(), "a form value")));
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new BadHttpRequestException("Malformed multipart body: " + e.Message, StatusCodes.Status400BadRequest, e);
        }
        return fields;
    }

    /// <summary>Percent-decodes <paramref name="value"/> (<c>+</c> as space, as forms encode it); the result must be UTF-8 without NUL.</summary>
    public static string FormDecode(string value)
    {
        if (value.IndexOfAny(['%', '+']) < 0)
        {
            return value;
        }
        // '%', '+' and hex digits are ASCII, which never occurs inside a multi-byte UTF-8 sequence: decoding bytes is safe.
        var source = Encoding.UTF8.GetBytes(value);
        var bytes = new byte[source.Length];
        var n = 0;
        for (var i = 0; i < source.Length; i++)
        {
            var b = source[i];
            if (b == (byte)'%')
            {
                if (i + 2 >= source.Length || !Uri.IsHexDigit((char)source[i + 1]) || !Uri.IsHexDigit((char)source[i + 2]))
                {
                    throw new BadHttpRequestException("Malformed percent-encoding in the form body", StatusCodes.Status400BadRequest);
                }
                b = (byte)((Uri.FromHex((char)source[i + 1]) << 4) | Uri.FromHex((char)source[i + 2]));
                i += 2;
            }
            else if (b == (byte)'+')
            {
                b = (byte)' ';
            }
            bytes[n++] = b;
        }
        return Decode(bytes[..n], "a form value");
    }

    private static async Task<byte[]> ReadBytesAsync(HttpRequest request, InputLimits limits) =>
        await BoundedBody.ReadAsync(request, limits.MaxRequestBodyBytes, request.HttpContext.RequestAborted) ?? throw TooLarge(limits);

    private static string Decode(byte[] bytes, string what)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new BadHttpRequestException($"{Capitalized(what)} is not valid UTF-8", StatusCodes.Status400BadRequest, e);
        }
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            throw new BadHttpRequestException($"{Capitalized(what)} contains a NUL character", StatusCodes.Status400BadRequest);
        }
        return text;
    }

    private static void CountFields(string text, InputLimits limits)
    {
        var fields = 0;
        foreach (var _ in text.AsSpan().Split('&'))
        {
            if (++fields > limits.MaxFormFields)
            {
                throw TooManyFields(limits);
            }
        }
    }

    private static bool IsMultipart(HttpRequest request) =>
        request.ContentType?.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase) == true;

    private static string Boundary(HttpRequest request)
    {
        var boundary = MediaTypeHeaderValue.TryParse(request.ContentType, out var type) ? HeaderUtilities.RemoveQuotes(type.Boundary).Value : null;
        // RFC 2046: 1 to 70 characters.
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 70)
        {
            throw new BadHttpRequestException("A multipart body needs a boundary of 1 to 70 characters in its Content-Type", StatusCodes.Status400BadRequest);
        }
        return boundary;
    }

    private static BadHttpRequestException TooLarge(InputLimits limits) =>
        new($"The body is larger than {limits.MaxRequestBodyBytes} bytes (ConfigServer:Limits:MaxRequestBodyBytes)", StatusCodes.Status413PayloadTooLarge);

    private static BadHttpRequestException TooManyFields(InputLimits limits) =>
        new($"The form has more than {limits.MaxFormFields} fields (ConfigServer:Limits:MaxFormFields)", StatusCodes.Status400BadRequest);

    private static string Capitalized(string s) => char.ToUpperInvariant(s[0]) + s[1..];
}
