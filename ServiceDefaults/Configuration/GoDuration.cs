using System.Globalization;

namespace Infrastructure.ServiceDefaults.Configuration;

/// <summary>
/// Go's <c>time.ParseDuration</c> syntax, which Consul and Istio use for every duration they read: <c>30s</c>,
/// <c>1m30s</c>, <c>500ms</c>, <c>1.5h</c>, <c>10us</c>, <c>1h2m3.5s</c>, a sign, or a bare <c>0</c>.
/// </summary>
public static class GoDuration
{
    /// <summary>Parses a Go duration; false for anything Go refuses (a missing or unknown unit, no number) or past <see cref="TimeSpan.MaxValue"/>. Parts finer than 100 ns are dropped.</summary>
    public static bool TryParse(string? text, out TimeSpan value) => TryParse(text, out value, out _);

    /// <summary>As <see cref="TryParse(string?, out TimeSpan)"/>, with the reason (in Go's words) when it fails.</summary>
    public static bool TryParse(string? text, out TimeSpan value, out string error)
    {
        value = TimeSpan.Zero;
        error = "";
        if (string.IsNullOrEmpty(text))
        {
            error = "empty duration";
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
            error = $"invalid duration \"{text}\"";
            return false;
        }
        // Decimal, not double: "0.3s" is exactly 3,000,000 ticks.
        decimal ticks = 0;
        while (!s.IsEmpty)
        {
            var n = 0;
            while (n < s.Length && (char.IsAsciiDigit(s[n]) || s[n] == '.'))
            {
                n++;
            }
            if (n == 0 || !decimal.TryParse(s[..n], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                error = $"invalid duration \"{text}\"";
                return false;
            }
            s = s[n..];
            var u = 0;
            while (u < s.Length && !char.IsAsciiDigit(s[u]) && s[u] != '.')
            {
                u++;
            }
            decimal? ticksPerUnit = s[..u] switch
            {
                "ns" => 0.01m,
                "us" or "µs" or "μs" => 10m,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                _ => null,
            };
            if (ticksPerUnit is not { } t)
            {
                error = u == 0 ? $"missing unit in duration \"{text}\"" : $"unknown unit \"{s[..u]}\" in duration \"{text}\"";
                return false;
            }
            ticks += number * t;
            s = s[u..];
            if (ticks > TimeSpan.MaxValue.Ticks)
            {
                error = $"invalid duration \"{text}\"";
                return false;
            }
        }
        var whole = (long)decimal.Truncate(ticks);
        value = TimeSpan.FromTicks(negative ? -whole : whole);
        return true;
    }

    /// <summary>Parses a Go duration or throws <see cref="FormatException"/> with Go's reason.</summary>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value, out var error) ? value : throw new FormatException(error);

    /// <summary>As Go prints a duration: <c>0s</c>, <c>300ms</c>, <c>1.5s</c>, <c>1m30s</c>, <c>2h0m0s</c>.</summary>
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
