namespace Infrastructure.Discovery.Server.Registry;

/// <summary>The lease of one registered instance: the current snapshot plus its renewal clock.</summary>
internal sealed class Lease
{
    private InstanceInfo _holder;
    private long _lastRenewalTimestamp;
    private long _evictionTimestamp;
    private long _serviceUpTimestamp;

    public Lease(InstanceInfo holder, long now)
    {
        _holder = holder;
        RegistrationTimestamp = now;
        _lastRenewalTimestamp = now;
    }

    public InstanceInfo Holder
    {
        get => Volatile.Read(ref _holder);
        set => Volatile.Write(ref _holder, value);
    }

    public long RegistrationTimestamp { get; }
    public long LastRenewalTimestamp => Volatile.Read(ref _lastRenewalTimestamp);
    public long EvictionTimestamp => Volatile.Read(ref _evictionTimestamp);

    public long ServiceUpTimestamp
    {
        get => Volatile.Read(ref _serviceUpTimestamp);
        set => Volatile.Write(ref _serviceUpTimestamp, value);
    }

    public void Renew(long now) => Volatile.Write(ref _lastRenewalTimestamp, now);

    public void Cancel(long now)
    {
        if (EvictionTimestamp <= 0)
        {
            Volatile.Write(ref _evictionTimestamp, now);
        }
    }

    /// <summary>Marks the first time the instance was seen UP; later UPs keep it.</summary>
    public void ServiceUp(long now)
    {
        if (ServiceUpTimestamp == 0)
        {
            ServiceUpTimestamp = now;
        }
    }

    /// <summary>Cancelled, or not renewed within its duration plus <paramref name="additionalLeaseMs"/> (time this server was not running, see <c>EvictionService</c>).</summary>
    public bool IsExpired(long now, long additionalLeaseMs = 0) =>
        EvictionTimestamp > 0 || now > LastRenewalTimestamp + (Holder.DurationInSecs * 1000L) + additionalLeaseMs;

    public RegisteredInstance Snapshot() =>
        new(Holder, new LeaseTimes(RegistrationTimestamp, LastRenewalTimestamp, EvictionTimestamp, ServiceUpTimestamp));
}
