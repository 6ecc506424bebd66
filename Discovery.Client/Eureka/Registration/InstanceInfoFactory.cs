using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Infrastructure.Discovery.Client.Eureka.Transport;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Client.Eureka.Registration;

/// <summary>Builds the InstanceInfo this application registers, from options and the addresses the server actually bound.</summary>
internal sealed class InstanceInfoFactory(IOptions<EurekaInstanceOptions> options, EurekaAppName appName, IServiceProvider services, TimeProvider time)
{
    /// <summary>The instance to register, or an error text when there is no port to announce.</summary>
    public (InstanceInfo? Instance, string? Error) Create()
    {
        var o = options.Value;
        var addresses = (services.GetService(typeof(IServer)) as IServer)?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var bound = addresses.Select(TryParse).OfType<BindingAddress>().ToList();
        var http = bound.FirstOrDefault(a => !IsHttps(a));
        var https = bound.FirstOrDefault(a => IsHttps(a));

        var nonSecureEnabled = o.NonSecurePortEnabled && (http is not null || o.Port > 0);
        var secureEnabled = o.SecurePortEnabled || (!nonSecureEnabled && https is not null);
        var port = o.Port > 0 ? o.Port : http?.Port ?? 0;
        var securePort = https?.Port ?? o.SecurePort;
        if (!nonSecureEnabled && !secureEnabled)
        {
            return (null, "no port to announce: the server has no bound address and Eureka:Instance:Port is not set");
        }

        var address = http ?? https;
        var (boundIp, loopbackOnly) = SpecificAddress(address);
        var ip = o.IpAddress ?? boundIp ?? FirstNonLoopbackIPv4() ?? IPAddress.Loopback.ToString();
        // A server bound to loopback only is unreachable through the machine name; announce the address itself.
        var host = o.HostName ?? (o.PreferIpAddress || loopbackOnly ? ip : Dns.GetHostName());
        var name = appName.Value;
        var announcedPort = nonSecureEnabled ? port : securePort;
        var baseUrl = $"{(nonSecureEnabled ? "http" : "https")}://{host}:{announcedPort.ToString(CultureInfo.InvariantCulture)}";
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        return (new InstanceInfo
        {
            InstanceId = o.InstanceId ?? $"{host}:{name}:{announcedPort.ToString(CultureInfo.InvariantCulture)}",
            App = name.ToUpperInvariant(),
            HostName = host,
            IpAddr = ip,
            Status = InstanceStatus.UP,
            OverriddenStatus = InstanceStatus.UNKNOWN,
            Port = port,
            PortEnabled = nonSecureEnabled,
            SecurePort = securePort,
            SecurePortEnabled = secureEnabled,
            VipAddress = o.VipAddress ?? name,
            SecureVipAddress = o.SecureVipAddress ?? name,
            HomePageUrl = baseUrl + o.HomePageUrlPath,
            StatusPageUrl = baseUrl + o.StatusPageUrlPath,
            HealthCheckUrl = baseUrl + o.HealthCheckUrlPath,
            Metadata = new Dictionary<string, string>(o.MetadataMap, StringComparer.Ordinal),
            RenewalIntervalInSecs = o.LeaseRenewalIntervalInSeconds,
            DurationInSecs = o.LeaseExpirationDurationInSeconds,
            LastUpdatedTimestamp = now,
            LastDirtyTimestamp = now,
        }, null);
    }

    private static bool IsHttps(BindingAddress a) => string.Equals(a.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase);

    private static BindingAddress? TryParse(string address)
    {
        try
        {
            return BindingAddress.Parse(address);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The IP the server is bound to when it is one specific address (not a wildcard), and whether it is loopback.</summary>
    private static (string? Ip, bool Loopback) SpecificAddress(BindingAddress? address)
    {
        if (address is null)
        {
            return (null, false);
        }
        var host = address.Host.Trim('[', ']');
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return (IPAddress.Loopback.ToString(), true);
        }
        if (IPAddress.TryParse(host, out var ip) && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any))
        {
            return (ip.ToString(), IPAddress.IsLoopback(ip));
        }
        return (null, false);
    }

    private static string? FirstNonLoopbackIPv4()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Select(a => a.Address)
                .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
                ?.ToString();
        }
        catch (NetworkInformationException)
        {
            return null;
        }
    }
}

/// <summary>The application name used with Eureka: <c>Eureka:Instance:AppName</c>, else <c>Spring:Application:Name</c>, else the host's application name.</summary>
internal sealed record EurekaAppName(string Value);
