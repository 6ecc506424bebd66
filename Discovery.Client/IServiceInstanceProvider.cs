namespace Infrastructure.Discovery.Client;

/// <summary>Answers "which UP instances does service X have right now", from the client's local registry copy.</summary>
public interface IServiceInstanceProvider
{
    /// <summary>The UP instances of <paramref name="serviceId"/> (case-insensitive); empty when none. Never blocks on the network.</summary>
    IReadOnlyList<ServiceInstance> GetInstances(string serviceId);

    /// <summary>The service ids currently known (lower-case).</summary>
    IReadOnlyCollection<string> GetServices();

    /// <summary>Raised after the local copy changed (full or delta fetch applied).</summary>
    event EventHandler? Changed;
}
