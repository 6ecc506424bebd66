namespace Infrastructure.Discovery.Client.Eureka.Transport;

/// <summary>What the rest of the client sees of a Eureka instance.</summary>
internal static class InstanceInfoExtensions
{
    /// <summary>
    /// The instance as the rest of the client sees it: the plain port when it is enabled, the secure port only when it
    /// is the one enabled (Spring Cloud prefers the secure port whenever it is enabled; callers asking for
    /// <c>http://name</c> would then find nothing).
    /// </summary>
    public static ServiceInstance ToServiceInstance(this InstanceInfo instance)
    {
        var secure = instance.SecurePortEnabled && !instance.PortEnabled;
        return new ServiceInstance(instance.App.ToLowerInvariant(), instance.InstanceId, instance.HostName, secure ? instance.SecurePort : instance.Port, secure, instance.Metadata);
    }
}
