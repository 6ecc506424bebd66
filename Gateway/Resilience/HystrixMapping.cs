using System.Globalization;
using Infrastructure.ServiceDefaults.Options;

namespace Infrastructure.Gateway.Resilience;

/// <summary>What Polly's circuit breaker is given for one <see cref="CircuitBreakerSettings"/>, so that it behaves as Hystrix with those settings.</summary>
internal sealed record PollyBreakerSettings(int MinimumThroughput, double FailureRatio, TimeSpan SamplingDuration, TimeSpan BreakDuration, bool OpenOnLoneFailure);

/// <summary>
/// Hystrix's circuit-breaker settings onto Polly's, with Hystrix's meaning where Polly's ranges are narrower: a request
/// volume of 0 or 1 opens on a lone failure, an error percentage above 100 never opens, 0 or less opens on any failure
/// once the volume is reached; windows Polly cannot take (below 500 ms, above a day) are clamped, with a warning.
/// </summary>
internal static class HystrixMapping
{
    // Polly's own limits for these options.
    private static readonly TimeSpan PollyMinimum = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan PollyMaximum = TimeSpan.FromDays(1);

    public static PollyBreakerSettings ToPolly(CircuitBreakerSettings s)
    {
        var neverOpens = s.ErrorThresholdPercentage > 100;
        return new PollyBreakerSettings(
            // Hystrix never reaches an error share above 100 %; a throughput Polly never counts in a window says the same.
            MinimumThroughput: neverOpens ? int.MaxValue : Math.Max(2, s.RequestVolumeThreshold),
            // Polly needs a ratio above 0; the smallest one opens on any failure, as Hystrix's 0 % does once the volume is there.
            FailureRatio: neverOpens ? 1.0 : s.ErrorThresholdPercentage <= 0 ? 1e-9 : s.ErrorThresholdPercentage / 100.0,
            SamplingDuration: Clamp(s.RollingStatsTimeInMilliseconds),
            BreakDuration: Clamp(s.SleepWindowInMilliseconds),
            OpenOnLoneFailure: !neverOpens && s.RequestVolumeThreshold < 2);
    }

    /// <summary>The warnings for <c>Gateway:CircuitBreakers:*</c>, and the errors for values nothing can use.</summary>
    public static IEnumerable<string> Check(GatewayOptions o, SettingsWarnings warnings)
    {
        var errors = new List<string>();
        foreach (var (name, s) in o.CircuitBreakers)
        {
            var key = $"{GatewayOptions.SectionName}:CircuitBreakers:{name}:";
            if (s.RequestVolumeThreshold < 2)
            {
                warnings.Add(key + "RequestVolumeThreshold", Text(s.RequestVolumeThreshold),
                    "Hystrix's meaning kept: the circuit opens on a failure that is alone in the rolling window (Polly itself needs at least 2 requests)",
                    "Hystrix accepts it and opens on the first failure");
            }
            if (s.ErrorThresholdPercentage > 100)
            {
                warnings.Add(key + "ErrorThresholdPercentage", Text(s.ErrorThresholdPercentage),
                    "the circuit never opens", "Hystrix accepts it, and no error share reaches it, so its circuit never opens either");
            }
            else if (s.ErrorThresholdPercentage <= 0)
            {
                warnings.Add(key + "ErrorThresholdPercentage", Text(s.ErrorThresholdPercentage),
                    "the circuit opens on any failure once RequestVolumeThreshold requests are in the window",
                    "Hystrix accepts it and opens once the volume is reached, even when every request succeeded");
            }
            Window(s.SleepWindowInMilliseconds, key + "SleepWindowInMilliseconds", warnings);
            Window(s.RollingStatsTimeInMilliseconds, key + "RollingStatsTimeInMilliseconds", warnings);
            if (s.TimeoutInMilliseconds < 0)
            {
                errors.Add(key + "TimeoutInMilliseconds must not be negative (0 turns the time limit off)");
            }
        }
        return errors;
    }

    private static void Window(int milliseconds, string key, SettingsWarnings warnings)
    {
        var clamped = Clamp(milliseconds);
        if (clamped.TotalMilliseconds != milliseconds)
        {
            warnings.Add(key, Text(milliseconds),
                $"{clamped.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} ms used instead (Polly's circuit breaker takes 500 ms to one day)",
                "Hystrix accepts it");
        }
    }

    private static TimeSpan Clamp(int milliseconds)
    {
        var t = TimeSpan.FromMilliseconds(milliseconds);
        return t < PollyMinimum ? PollyMinimum : t > PollyMaximum ? PollyMaximum : t;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
