using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Infrastructure.ServiceDefaults.Web;

/// <summary>
/// The one bounded reader of request bodies every server uses: a body is read whole only up to a limit, checked against
/// <c>Content-Length</c> up front and counted as it streams (a chunked body has no length), so no endpoint buffers more
/// than it allows. Each server answers "too large" in its own protocol's shape.
/// </summary>
public static class BoundedBody
{
    private const int BufferSize = 16 * 1024;

    /// <summary>The body's bytes, or null when it is larger than <paramref name="maxBytes"/>.</summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > maxBytes)
        {
            return null;
        }
        using var ms = new MemoryStream();
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int n;
            while ((n = await request.Body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (ms.Length + n > maxBytes)
                {
                    return null;
                }
                ms.Write(buffer, 0, n);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return ms.ToArray();
    }

    /// <summary>
    /// For a body parsed as it streams (a form reader on the pipe): false when <c>Content-Length</c> already says it is
    /// larger than <paramref name="maxBytes"/>; otherwise lowers the server's own body limit to it, so a longer body
    /// fails the read instead of being buffered.
    /// </summary>
    public static bool TryLimit(HttpContext context, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Request.ContentLength > maxBytes)
        {
            return false;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = maxBytes;
        }
        return true;
    }
}
