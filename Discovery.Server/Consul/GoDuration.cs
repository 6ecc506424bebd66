using System.Globalization;

namespace Infrastructure.Discovery.Server.Consul;

/// <summary>Go's <c>time.ParseDuration</c> syntax (<c>30s</c>, <c>1m30s</c>, <c>500ms</c>, <c>1.5h</c>), which Consul uses for every duration it reads.</summary>
internal static class GoDuration
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }
        var s = text.AsSpan();
        var negative = false;
        if (s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s is "0")
        {
            return true;
        }
        if (s.IsEmpty)
        {
            return false;
        }
        double total = 0;
        while (!s.IsEmpty)
        {
            var n = 0;
            while (n < s.Length && (char.IsAsciiDigit(s[n]) || s[n] == '.'))
            {
                n++;
            }
            if (n == 0 || !double.TryParse(s[..n], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }
            s = s[n..];
            var u = 0;
            while (u < s.Length && !char.IsAsciiDigit(s[u]) && s[u] != '.')
            {
                u++;
            }
            double? ticksPerUnit = s[..u] switch
            {
                "ns" => 0.01,
                "us" or "µs" or "μs" => 10,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                _ => null,
            };
            if (ticksPerUnit is not { } t)
            {
                return false;
            }
            total += number * t;
            s = s[u..];
        }
        if (total > TimeSpan.MaxValue.Ticks)
        {
            return false;
        }
        value = TimeSpan.FromTicks((long)(negative ? -total : total));
        return true;
    }

    /// <summary>As Go prints a duration, for the few places Consul echoes one (<c>10s</c>, <c>1m30s</c>, <c>1.5s</c>).</summary>
    public static string Format(TimeSpan d)
    {
        if (d == TimeSpan.Zero)
        {
            return "0s";
        }
        if (d < TimeSpan.FromSeconds(1))
        {
            return d.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms";
        }
        var parts = "";
        if (d.TotalHours >= 1)
        {
            parts += ((long)d.TotalHours).ToString(CultureInfo.InvariantCulture) + "h";
        }
        if (d.TotalMinutes >= 1)
        {
            parts += d.Minutes.ToString(CultureInfo.InvariantCulture) + "m";
        }
        var seconds = d.Seconds + (d.Milliseconds / 1000.0);
        return parts + seconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
    }
}
