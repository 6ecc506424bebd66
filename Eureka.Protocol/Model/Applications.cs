namespace Infrastructure.Eureka.Protocol;

/// <summary>Lease timestamps (Unix ms) as served in <c>leaseInfo</c>.</summary>
internal readonly record struct LeaseTimes(long RegistrationTimestamp, long LastRenewalTimestamp, long EvictionTimestamp, long ServiceUpTimestamp);

/// <summary>An instance as served: its snapshot and its lease times at the moment it was read.</summary>
internal readonly record struct RegisteredInstance(InstanceInfo Info, LeaseTimes Lease);

/// <summary>A list of applications as served, with Eureka's version and reconcile hash code.</summary>
internal sealed record ApplicationsView(long Version, string AppsHashCode, IReadOnlyList<ApplicationView> Applications);

/// <summary>One application and its instances.</summary>
internal sealed record ApplicationView(string Name, IReadOnlyList<RegisteredInstance> Instances);

/// <summary>An <c>applications</c> document as a client reads it (full registry or delta): version, reconcile hash code, every instance.</summary>
internal sealed record ApplicationsDocument(string? VersionsDelta, string? AppsHashCode, IReadOnlyList<InstanceInfo> Instances);
