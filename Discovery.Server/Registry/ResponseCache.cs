using System.Collections.Concurrent;
using System.IO.Compression;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Server.Registry;

/// <summary>What a cached payload holds.</summary>
internal enum CacheEntity
{
    AllApps,
    Delta,
    Application,
}

/// <summary>A cached payload's key: entity (and app name), and the wire format.</summary>
internal readonly record struct CacheKey(CacheEntity Entity, string Name, bool Json);

/// <summary>One cached answer: its serialized bytes and, built once on first demand, their gzip form (Eureka's <c>Value</c>).</summary>
internal sealed class CachedPayload(byte[] bytes)
{
    private readonly Lock _zipping = new();
    private byte[]? _gzip;

    /// <summary>Whether someone asked for <see cref="Gzip"/> already.</summary>
    public bool IsGzipped => Volatile.Read(ref _gzip) is not null;

    /// <summary>The serialized answer.</summary>
    public byte[] Bytes => bytes;

    /// <summary>
    /// <see cref="Bytes"/> gzipped, as Eureka serves them to clients accepting gzip. Compressed lazily so a server whose
    /// clients never ask for gzip pays nothing, and once per payload however many clients ask at the same moment.
    /// </summary>
    public byte[] Gzip
    {
        get
        {
            if (Volatile.Read(ref _gzip) is { } zipped)
            {
                return zipped;
            }
            lock (_zipping)
            {
                if (_gzip is null)
                {
                    using var output = new MemoryStream(bytes.Length / 8 + 64);
                    using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
                    {
                        gzip.Write(bytes);
                    }
                    Volatile.Write(ref _gzip, output.ToArray());
                }
                return _gzip!;
            }
        }
    }
}

/// <summary>
/// Eureka's two-level response cache: serialized payloads in a read-write cache invalidated on every change,
/// fronted (when enabled) by a read-only copy refreshed every <c>ResponseCacheUpdateIntervalMs</c>, so thousands of
/// polling clients cost one serialization per interval.
/// </summary>
internal sealed class ResponseCache
{
    private readonly ConcurrentDictionary<CacheKey, Entry> _readWrite = new();
    private readonly ConcurrentDictionary<CacheKey, CachedPayload> _readOnly = new();
    // Striped rather than per key, so requests for arbitrary app names cannot grow a lock table.
    private readonly Lock[] _generating = Enumerable.Range(0, 64).Select(_ => new Lock()).ToArray();
    private readonly InstanceRegistry _registry;
    private readonly TimeProvider _time;
    private readonly IOptionsMonitor<EurekaServerOptions> _options;
    private long _generation;

    public ResponseCache(InstanceRegistry registry, TimeProvider time, IOptionsMonitor<EurekaServerOptions> options)
    {
        _registry = registry;
        _time = time;
        _options = options;
        registry.Changed += Invalidate;
    }

    /// <summary>Payloads serialized so far (a figure for the dashboard and tests).</summary>
    public long Serializations => Interlocked.Read(ref _serializations);

    private long _serializations;

    /// <summary>The payload for <paramref name="key"/>, or null when the application does not exist.</summary>
    public byte[]? Get(CacheKey key) => GetPayload(key)?.Bytes;

    /// <summary>
    /// The cached answer for <paramref name="key"/> (plain and gzip), or null when the application does not exist. With the
    /// read-only cache on, a hit is one dictionary read: no serialization, no lock.
    /// </summary>
    public CachedPayload? GetPayload(CacheKey key)
    {
        if (!_options.CurrentValue.UseReadOnlyResponseCache)
        {
            return GetReadWrite(key);
        }
        if (_readOnly.TryGetValue(key, out var cached))
        {
            return cached;
        }
        // A crowd missing the same key waits for the first one's payload: during a registration burst the read-write
        // entry is never kept (the registry keeps changing), so each waiter would otherwise serialize the registry again.
        lock (StripeOf(key))
        {
            if (_readOnly.TryGetValue(key, out cached))
            {
                return cached;
            }
            var fresh = GetReadWrite(key);
            if (fresh is not null)
            {
                _readOnly.TryAdd(key, fresh);
            }
            return fresh;
        }
    }

    /// <summary>Drops payloads that a change to <paramref name="app"/> makes stale.</summary>
    public void Invalidate(string app)
    {
        Interlocked.Increment(ref _generation);
        foreach (var json in (bool[])[true, false])
        {
            _readWrite.TryRemove(new CacheKey(CacheEntity.AllApps, string.Empty, json), out _);
            _readWrite.TryRemove(new CacheKey(CacheEntity.Delta, string.Empty, json), out _);
            if (app.Length > 0)
            {
                _readWrite.TryRemove(new CacheKey(CacheEntity.Application, app.ToUpperInvariant(), json), out _);
            }
        }
    }

    /// <summary>Copies changed read-write payloads into the read-only cache (Eureka's cache-fill timer task).</summary>
    public void RefreshReadOnly()
    {
        List<Exception>? failures = null;
        foreach (var key in _readOnly.Keys)
        {
            CachedPayload? current;
            try
            {
                current = GetReadWrite(key);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // One payload that cannot be built must neither stop the others from refreshing nor stay frozen in
                // the read-only cache; dropping it sends readers to the read-write path, where the failure is visible.
                _readOnly.TryRemove(key, out _);
                (failures ??= []).Add(ex);
                continue;
            }
            if (current is null)
            {
                _readOnly.TryRemove(key, out _);
            }
            else if (_readOnly.TryGetValue(key, out var old) && !ReferenceEquals(old, current))
            {
                if (old.IsGzipped)
                {
                    // Compressed here on the timer, so the first gzip client after a refresh does not wait for it.
                    _ = current.Gzip;
                }
                _readOnly[key] = current;
            }
        }
        if (failures is not null)
        {
            throw new AggregateException("Some cached payloads could not be refreshed", failures);
        }
    }

    private Lock StripeOf(CacheKey key) => _generating[(key.GetHashCode() & int.MaxValue) % _generating.Length];

    private CachedPayload? GetReadWrite(CacheKey key)
    {
        if (TryGetFresh(key, out var cached))
        {
            return cached;
        }
        // One serialization per key at a time: after an invalidation, a crowd of polling clients waits for
        // the first one's payload instead of each serializing the whole registry again.
        lock (StripeOf(key))
        {
            if (TryGetFresh(key, out cached))
            {
                return cached;
            }
            var generation = Interlocked.Read(ref _generation);
            if (Generate(key) is not { } bytes)
            {
                return null;
            }
            var payload = new CachedPayload(bytes);
            Interlocked.Increment(ref _serializations);
            // Only cache what was built from a registry no change has touched since; otherwise a stale payload could stick.
            if (Interlocked.Read(ref _generation) == generation)
            {
                var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
                _readWrite[key] = new Entry(payload, now + (_options.CurrentValue.ResponseCacheAutoExpirationInSeconds * 1000L));
            }
            return payload;
        }
    }

    private bool TryGetFresh(CacheKey key, out CachedPayload? payload)
    {
        if (_readWrite.TryGetValue(key, out var entry) && entry.ExpiresAt > _time.GetUtcNow().ToUnixTimeMilliseconds())
        {
            payload = entry.Payload;
            return true;
        }
        payload = null;
        return false;
    }

    private byte[]? Generate(CacheKey key)
    {
        switch (key.Entity)
        {
            case CacheEntity.AllApps:
                var all = _registry.GetApplications();
                return key.Json ? EurekaJsonWriter.Applications(all) : EurekaXmlWriter.Applications(all);
            case CacheEntity.Delta:
                var delta = _registry.GetDelta();
                return key.Json ? EurekaJsonWriter.Applications(delta) : EurekaXmlWriter.Applications(delta);
            default:
                var app = _registry.GetApplication(key.Name);
                return app is null ? null : key.Json ? EurekaJsonWriter.Application(app) : EurekaXmlWriter.Application(app);
        }
    }

    private sealed record Entry(CachedPayload Payload, long ExpiresAt);
}
