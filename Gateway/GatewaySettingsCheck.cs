using System.Globalization;
using Infrastructure.Discovery.Client.LoadBalancing;
using Infrastructure.Gateway.Resilience;
using Infrastructure.ServiceDefaults.Options;

namespace Infrastructure.Gateway;

/// <summary>
/// Start-up checks of <c>Gateway:*</c> and <c>Gateway:LoadBalancer:*</c> beyond their ranges: values Spring Cloud Gateway,
/// Hystrix or Ribbon accept and we would not choose are taken with their meaning and reported as configuration warnings.
/// </summary>
internal static class GatewaySettingsCheck
{
    private const string LoadBalancer = "Gateway:LoadBalancer:";

    public static IEnumerable<string> Check(GatewayOptions o, SettingsWarnings warnings)
    {
        var http = o.HttpClient;
        if (http.ResponseTimeout.Value < TimeSpan.Zero)
        {
            warnings.Add("Gateway:HttpClient:ResponseTimeout", http.ResponseTimeout.ToString(),
                "read as none (routes of lb:// services still get Gateway:LoadBalancer:ReadTimeout)",
                "Spring accepts a negative duration; what Reactor Netty then does is not documented");
        }
        if (http.ConnectTimeout == 0)
        {
            warnings.Add("Gateway:HttpClient:ConnectTimeout", "0",
                "no connect timeout: a connection attempt waits as long as the operating system lets it",
                "Spring hands it to Netty, where 0 turns the connect timeout off");
        }
        return HystrixMapping.Check(o, warnings);
    }

    /// <summary>Ribbon takes any number for these; ours would choose a range, so the rest is warned about.</summary>
    public static IEnumerable<string> CheckLoadBalancer(LoadBalancerOptions o, SettingsWarnings warnings)
    {
        if (o.ConnectionFailureCountThreshold is < 1 or > 1000)
        {
            warnings.Add(LoadBalancer + "ConnectionFailureCountThreshold", Text(o.ConnectionFailureCountThreshold),
                o.ConnectionFailureCountThreshold < 1
                    ? "used as given: an instance trips on its first connection failure, with a longer blackout"
                    : "used as given: an instance is hardly ever tripped",
                "Ribbon accepts any number and computes the blackout the same way");
        }
        Seconds(o.CircuitTripTimeoutFactorSeconds, "CircuitTripTimeoutFactorSeconds", warnings);
        Seconds(o.CircuitTripMaxTimeoutSeconds, "CircuitTripMaxTimeoutSeconds", warnings);
        if (o.ActiveConnectionsLimit < 1)
        {
            warnings.Add(LoadBalancer + "ActiveConnectionsLimit", Text(o.ActiveConnectionsLimit),
                "read as no limit",
                "Ribbon reads -1 as its default (no limit), and with 0 its availability filter skips every instance and the rule falls back to round robin");
        }
        if (o.MaxAutoRetriesNextServer < 0)
        {
            warnings.Add(LoadBalancer + "MaxAutoRetriesNextServer", Text(o.MaxAutoRetriesNextServer),
                "read as 0: a failed connection is not retried on another instance", "Ribbon accepts any number");
        }
        else if (o.MaxAutoRetriesNextServer > 100)
        {
            warnings.Add(LoadBalancer + "MaxAutoRetriesNextServer", Text(o.MaxAutoRetriesNextServer),
                "used as given (at most every other instance is tried once)", "Ribbon accepts any number");
        }
        ReadTimeout(o.ReadTimeout, LoadBalancer + "ReadTimeout", warnings);
        foreach (var (id, c) in o.Clients)
        {
            if (c.ReadTimeout is { } t)
            {
                ReadTimeout(t, $"{LoadBalancer}Clients:{id}:ReadTimeout", warnings);
            }
        }
        return [];
    }

    private static void Seconds(int value, string name, SettingsWarnings warnings)
    {
        if (value is < 1 or > 86_400)
        {
            warnings.Add(LoadBalancer + name, Text(value),
                value < 1 ? "used as given: a tripped instance has no blackout, so it is never skipped" : "used as given",
                "Ribbon accepts any number with this meaning");
        }
    }

    private static void ReadTimeout(int value, string key, SettingsWarnings warnings)
    {
        if (value < 0)
        {
            warnings.Add(key, Text(value), "read as none (as 0)", "Ribbon hands it to its HTTP client, where a negative timeout is none");
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
