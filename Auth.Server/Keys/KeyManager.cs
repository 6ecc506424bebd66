using System.Security.Cryptography;
using Infrastructure.Auth.Server.Stores;
using Infrastructure.ServiceDefaults.Lifetime;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Infrastructure.Auth.Server.Keys;

/// <summary>A loaded key: the .NET key object, its credentials and its public JWK.</summary>
internal sealed class SigningKey
{
    public SigningKey(StoredSigningKey stored)
    {
        Stored = stored;
        if (stored.Algorithm == SecurityAlgorithms.EcdsaSha256)
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(stored.Pem);
            Key = new ECDsaSecurityKey(ec) { KeyId = stored.Id };
            PublicJwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(ec.ExportParameters(false))) { KeyId = stored.Id });
        }
        else
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(stored.Pem);
            Key = new RsaSecurityKey(rsa) { KeyId = stored.Id };
            PublicJwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = stored.Id });
        }
        PublicJwk.Use = "sig";
        PublicJwk.Alg = stored.Algorithm;
        Credentials = new SigningCredentials(Key, stored.Algorithm);
    }

    public StoredSigningKey Stored { get; }

    public string Id => Stored.Id;

    public SecurityKey Key { get; }

    public JsonWebKey PublicJwk { get; }

    public SigningCredentials Credentials { get; }

    public static StoredSigningKey Generate(string algorithm, DateTimeOffset now)
    {
        var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        if (algorithm == SecurityAlgorithms.EcdsaSha256)
        {
            using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return new StoredSigningKey(id, algorithm, now, ec.ExportPkcs8PrivateKeyPem());
        }
        using var rsa = RSA.Create(2048);
        return new StoredSigningKey(id, algorithm, now, rsa.ExportPkcs8PrivateKeyPem());
    }
}

/// <summary>The key set at one moment: which key signs, which keys JWKS publishes.</summary>
internal sealed record KeyRing(SigningKey Signing, IReadOnlyList<SigningKey> Published);

/// <summary>
/// Automatic key management: creates the next key <c>PropagationTime</c> before the current one reaches
/// <c>RotationInterval</c>, publishes it at once, signs with it only once it has been published for
/// <c>PropagationTime</c>, and deletes a retired key <c>RetentionTime</c> after it stopped signing.
/// </summary>
internal sealed partial class KeyManager(ISigningKeyStore store, IOptions<SigningKeyOptions> options, TimeProvider time, ILogger<KeyManager> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private List<SigningKey> _keys = [];
    private DateTimeOffset _loadedAt = DateTimeOffset.MinValue;

    public async Task<KeyRing> GetKeyRingAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (now - _loadedAt >= options.Value.CacheDuration || NeedsMaintenance(_keys, now))
        {
            await RefreshAsync(ct);
        }
        var keys = _keys;
        return new KeyRing(SelectSigningKey(keys, time.GetUtcNow()), keys);
    }

    /// <summary>Re-reads the store when a token names a key this replica has not seen, at most every 10 seconds (unknown kids are cheap to send).</summary>
    public async Task<KeyRing> RefreshForUnknownKeyAsync(CancellationToken ct)
    {
        if (time.GetUtcNow() - _loadedAt >= TimeSpan.FromSeconds(10))
        {
            await RefreshAsync(ct);
        }
        return new KeyRing(SelectSigningKey(_keys, time.GetUtcNow()), _keys);
    }

    /// <summary>Re-reads the store and rotates/retires keys as due.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var o = options.Value;
            var now = time.GetUtcNow();
            var stored = (await store.LoadKeysAsync(ct)).Where(k => k.Algorithm == o.Algorithm).OrderBy(k => k.Created).ToList();

            // Retire: a key older than RotationInterval + RetentionTime signed nothing still valid; never drop the newest.
            foreach (var old in stored.Where(k => now - k.Created >= o.RotationInterval + o.RetentionTime).ToList())
            {
                if (old != stored[^1])
                {
                    await store.DeleteKeyAsync(old.Id, ct);
                    stored.Remove(old);
                    LogRetired(logger, old.Id);
                }
            }
            if (stored.Count == 0 || now - stored[^1].Created >= o.RotationInterval - o.PropagationTime)
            {
                var next = SigningKey.Generate(o.Algorithm, now);
                await store.StoreKeyAsync(next, ct);
                stored.Add(next);
                LogCreated(logger, next.Id, o.Algorithm);
            }
            var existing = _keys.ToDictionary(k => k.Id, StringComparer.Ordinal);
            _keys = stored.Select(s => existing.TryGetValue(s.Id, out var k) ? k : new SigningKey(s)).ToList();
            _loadedAt = now;
        }
        finally
        {
            _gate.Release();
        }
    }

    private bool NeedsMaintenance(List<SigningKey> keys, DateTimeOffset now)
    {
        var o = options.Value;
        return keys.Count == 0 || now - keys[^1].Stored.Created >= o.RotationInterval - o.PropagationTime;
    }

    /// <summary>The newest key published for at least PropagationTime; at first start (no such key) the oldest key.</summary>
    private SigningKey SelectSigningKey(List<SigningKey> keys, DateTimeOffset now)
    {
        var propagation = options.Value.PropagationTime;
        return keys.LastOrDefault(k => now - k.Stored.Created >= propagation) ?? keys[0];
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Signing key {KeyId} ({Algorithm}) created and published")]
    private static partial void LogCreated(ILogger logger, string keyId, string algorithm);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Signing key {KeyId} retired and removed")]
    private static partial void LogRetired(ILogger logger, string keyId);
}

/// <summary>
/// Keeps the key ring current even when no request arrives (rotation happens on time, JWKS announces early): at start,
/// then every cache duration. A failed pass (the store briefly unreachable) is logged; requests keep the cached ring.
/// </summary>
internal sealed class KeyMaintenanceService(KeyManager keys, IOptions<SigningKeyOptions> options, TimeProvider time, ILogger<KeyMaintenanceService> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = options.Value.CacheDuration > TimeSpan.Zero ? options.Value.CacheDuration : TimeSpan.FromMinutes(1);
        return BackgroundLoop.RunNowAndEveryAsync("signing-key-maintenance", () => period,
            async ct => await keys.GetKeyRingAsync(ct), time, logger, stoppingToken);
    }
}
