using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;

namespace Infrastructure.Gateway.Security;

/// <summary>Kestrel's request limits from <c>Kestrel:Limits</c>, and the stricter HTTP/1.1 parsing an edge server needs.</summary>
/// <remarks>
/// ASP.NET Core's defaults read only endpoints and certificates from the <c>Kestrel</c> section; without this the documented
/// <c>Kestrel:Limits:*</c> keys (header and body timeouts, data rates, sizes) would be silently ignored.
/// </remarks>
internal static class KestrelLimits
{
    public const string SectionName = "Kestrel:Limits";

    private const string LineFeedSwitch = "Microsoft.AspNetCore.Server.Kestrel.DisableHttp1LineFeedTerminators";

    /// <summary>Binds <c>Kestrel:Limits</c> onto <paramref name="limits"/>; keys that are absent keep Kestrel's defaults.</summary>
    public static void Bind(IConfiguration configuration, KestrelServerLimits limits)
    {
        var section = configuration.GetSection(SectionName);
        if (!section.Exists())
        {
            return;
        }
        // Scalars and the Http2/Http3 sub-objects; MinDataRate has no setters, so the binder cannot fill it in place.
        section.Bind(limits);
        limits.MinRequestBodyDataRate = Rate(section.GetSection(nameof(KestrelServerLimits.MinRequestBodyDataRate)), limits.MinRequestBodyDataRate);
        limits.MinResponseDataRate = Rate(section.GetSection(nameof(KestrelServerLimits.MinResponseDataRate)), limits.MinResponseDataRate);
    }

    /// <summary>
    /// Refuses HTTP/1.1 lines ended by a bare LF (400) unless the runtime configuration says otherwise. Kestrel accepts them by
    /// default (RFC 9112 allows it), but a proxy in front that reads <c>X-A: 1\nContent-Length: 40</c> as one header would
    /// disagree with us about where the request ends: the disagreement request smuggling needs.
    /// </summary>
    public static void RefuseBareLineFeeds()
    {
        if (!AppContext.TryGetSwitch(LineFeedSwitch, out _))
        {
            AppContext.SetSwitch(LineFeedSwitch, true);
        }
    }

    private static MinDataRate? Rate(IConfigurationSection section, MinDataRate? current)
    {
        if (!section.Exists())
        {
            return current;
        }
        var bytesPerSecond = section.GetValue(nameof(MinDataRate.BytesPerSecond), current?.BytesPerSecond ?? 240);
        var gracePeriod = section.GetValue(nameof(MinDataRate.GracePeriod), current?.GracePeriod ?? TimeSpan.FromSeconds(5));
        return new MinDataRate(bytesPerSecond, gracePeriod);
    }
}
