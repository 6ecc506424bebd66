using System.Globalization;

namespace Infrastructure.Mesh.Api.Resources;

/// <summary>Go's <c>time.ParseDuration</c> syntax, as Istio's YAML carries durations: "1h2m3.5s", "300ms", "1.5s", "10us".</summary>
public static class GoDuration
{
    /// <summary>Parses a Go duration; false (with the reason) for anything Go would refuse. A negative duration parses; validation refuses it.</summary>
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
        decimal nanos = 0;
        while (!s.IsEmpty)
        {
            var numberEnd = 0;
            while (numberEnd < s.Length && (char.IsAsciiDigit(s[numberEnd]) || s[numberEnd] == '.'))
            {
                numberEnd++;
            }
            if (numberEnd == 0 || !decimal.TryParse(s[..numberEnd], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
                || s[..numberEnd] is "." || s[..numberEnd].Count('.') > 1)
            {
                error = $"invalid duration \"{text}\"";
                return false;
            }
            s = s[numberEnd..];
            var unitEnd = 0;
            while (unitEnd < s.Length && !char.IsAsciiDigit(s[unitEnd]) && s[unitEnd] != '.')
            {
                unitEnd++;
            }
            decimal? scale = s[..unitEnd] switch
            {
                "ns" => 1m,
                "us" or "µs" or "μs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60m * 1_000_000_000m,
                "h" => 3600m * 1_000_000_000m,
                _ => null,
            };
            if (scale is null)
            {
                error = unitEnd == 0 ? $"missing unit in duration \"{text}\"" : $"unknown unit \"{s[..unitEnd]}\" in duration \"{text}\"";
                return false;
            }
            s = s[unitEnd..];
            nanos += number * scale.Value;
            if (nanos > (decimal)long.MaxValue)
            {
                error = $"invalid duration \"{text}\"";
                return false;
            }
        }
        // TimeSpan's tick is 100 ns; finer parts are dropped (validation wants whole milliseconds anyway).
        var ticks = (long)decimal.Truncate(nanos / 100m);
        value = TimeSpan.FromTicks(negative ? -ticks : ticks);
        return true;
    }

    /// <summary>Parses a Go duration or throws <see cref="FormatException"/>.</summary>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value, out var error) ? value : throw new FormatException(error);

    /// <summary>Parses an optional duration: null when the field is empty (not set), the value otherwise; throws on a bad value.</summary>
    public static TimeSpan? ParseOptional(string? text) => string.IsNullOrEmpty(text) ? null : Parse(text);

    /// <summary>Writes a duration in Go's shortest form ("1.5s", "300ms", "1h0m0s" style is not needed: seconds or milliseconds).</summary>
    public static string Format(TimeSpan value) =>
        value.Ticks % TimeSpan.TicksPerSecond == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{value.Ticks / TimeSpan.TicksPerSecond}s")
            : value.Ticks % TimeSpan.TicksPerMillisecond == 0
                ? string.Create(CultureInfo.InvariantCulture, $"{value.Ticks / TimeSpan.TicksPerMillisecond}ms")
                : string.Create(CultureInfo.InvariantCulture, $"{value.TotalSeconds}s");
}
