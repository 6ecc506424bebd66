using System.ComponentModel;
using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;

namespace Infrastructure.ServiceDefaults.Configuration;

/// <summary>
/// A duration written as Spring Boot reads one (<c>DurationStyle</c>): <c>500ms</c>, <c>5s</c>, <c>1m</c>, <c>2h</c>, <c>1d</c>,
/// <c>10us</c>, <c>100ns</c> (units in any case), ISO-8601 (<c>PT5S</c>, <c>PT0.5S</c>, <c>P1DT2H</c>), or a bare number in
/// milliseconds. Binds from configuration (environment variables included) through its type converter.
/// </summary>
[TypeConverter(typeof(SpringDurationConverter))]
public readonly partial record struct SpringDuration(TimeSpan Value)
{
    /// <summary>What a value must look like, for error messages.</summary>
    public const string Expected = "a number of milliseconds, a number with a unit (ns, us, ms, s, m, h, d) such as 5s or 500ms, or ISO-8601 such as PT5S";

    /// <summary>Reads <paramref name="text"/>; a bare number is in <paramref name="bareUnit"/> (milliseconds unless said otherwise).</summary>
    /// <exception cref="FormatException">When <paramref name="text"/> is none of the accepted forms or does not fit a <see cref="TimeSpan"/>.</exception>
    public static SpringDuration Parse(string text, TimeSpan? bareUnit = null) =>
        TryParse(text, out var value, bareUnit) ? value : throw new FormatException($"not a duration: expected {Expected}");

    /// <summary>Reads <paramref name="text"/> as <see cref="Parse"/> does, without throwing.</summary>
    public static bool TryParse(string? text, out SpringDuration value, TimeSpan? bareUnit = null)
    {
        value = default;
        var s = text?.Trim();
        if (string.IsNullOrEmpty(s))
        {
            return false;
        }
        // Spring tries the simple style first, then ISO-8601 (DurationStyle.detect).
        var simple = SimplePattern().Match(s);
        if (simple.Success)
        {
            var unitTicks = simple.Groups[2].Value.ToLowerInvariant() switch
            {
                "" => (bareUnit ?? TimeSpan.FromMilliseconds(1)).Ticks,
                "ns" => -100, // ticks are 100 ns: divide
                "us" => 10,
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                "d" => TimeSpan.TicksPerDay,
                _ => 0,
            };
            if (unitTicks == 0 || !BigInteger.TryParse(simple.Groups[1].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var amount))
            {
                return false;
            }
            return TryTicks(unitTicks < 0 ? amount / -unitTicks : amount * unitTicks, out value);
        }
        var iso = IsoPattern().Match(s);
        if (!iso.Success || (!iso.Groups["d"].Success && !iso.Groups["t"].Success)
            || (iso.Groups["t"].Success && !iso.Groups["h"].Success && !iso.Groups["m"].Success && !iso.Groups["s"].Success))
        {
            return false;
        }
        BigInteger ticks = 0;
        ticks += Part(iso, "d") * TimeSpan.TicksPerDay;
        ticks += Part(iso, "h") * TimeSpan.TicksPerHour;
        ticks += Part(iso, "m") * TimeSpan.TicksPerMinute;
        var seconds = Part(iso, "s");
        ticks += seconds * TimeSpan.TicksPerSecond;
        if (iso.Groups["f"].Success)
        {
            // Up to nine digits (nanoseconds), with the seconds' sign; below 100 ns is dropped.
            var fraction = BigInteger.Parse(iso.Groups["f"].Value.PadRight(9, '0'), CultureInfo.InvariantCulture) / 100;
            ticks += iso.Groups["s"].Value.StartsWith('-') ? -fraction : fraction;
        }
        if (iso.Groups["sign"].Value == "-")
        {
            ticks = -ticks;
        }
        return TryTicks(ticks, out value);
    }

    /// <inheritdoc />
    public override string ToString() => Value.ToString("c", CultureInfo.InvariantCulture);

    private static BigInteger Part(Match m, string group) =>
        m.Groups[group].Success ? BigInteger.Parse(m.Groups[group].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : BigInteger.Zero;

    private static bool TryTicks(BigInteger ticks, out SpringDuration value)
    {
        if (ticks < TimeSpan.MinValue.Ticks || ticks > TimeSpan.MaxValue.Ticks)
        {
            value = default;
            return false;
        }
        value = new SpringDuration(TimeSpan.FromTicks((long)ticks));
        return true;
    }

    // Spring's SIMPLE style: digits and a unit of at most two letters.
    [GeneratedRegex(@"^([+-]?\d+)([a-zA-Z]{0,2})$", RegexOptions.CultureInvariant)]
    private static partial Regex SimplePattern();

    // What both Spring's ISO-8601 check and java.time.Duration.parse take: whole days, hours and minutes, seconds with up to nine decimals.
    [GeneratedRegex(@"^(?<sign>[+-]?)[pP](?:(?<d>[+-]?\d+)[dD])?(?<t>[tT](?:(?<h>[+-]?\d+)[hH])?(?:(?<m>[+-]?\d+)[mM])?(?:(?<s>[+-]?\d+)(?:\.(?<f>\d{1,9}))?[sS])?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex IsoPattern();
}

/// <summary>Converts configuration text to a <see cref="SpringDuration"/> (bare numbers in milliseconds).</summary>
public sealed class SpringDurationConverter : TypeConverter
{
    /// <inheritdoc />
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) =>
        sourceType == typeof(string) || base.CanConvertFrom(context, sourceType);

    /// <inheritdoc />
    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string s ? SpringDuration.Parse(s) : base.ConvertFrom(context, culture, value);

    /// <inheritdoc />
    public override object? ConvertTo(ITypeDescriptorContext? context, CultureInfo? culture, object? value, Type destinationType) =>
        destinationType == typeof(string) && value is SpringDuration d
            ? ((long)d.Value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms"
            : base.ConvertTo(context, culture, value, destinationType);
}
