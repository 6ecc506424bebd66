using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Infrastructure.ServiceDefaults;

/// <summary>The mirrored system's well-known address for a server started without <c>--urls</c>.</summary>
public static class DefaultUrlExtensions
{
    /// <summary>Listens on <c>http://127.0.0.1:{port}</c> unless <c>--urls</c> / <c>ASPNETCORE_URLS</c> says otherwise.</summary>
    public static WebApplicationBuilder UseDefaultUrl(this WebApplicationBuilder builder, int port)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }
        return builder;
    }
}
