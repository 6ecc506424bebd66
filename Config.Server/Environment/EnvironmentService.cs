using System.Collections.Concurrent;
using System.Text.Json;
using Infrastructure.Config.Server.Encryption;

namespace Infrastructure.Config.Server.Environment;

/// <summary>Fetches from the configured backend, then decrypts <c>{cipher}</c> values and (optionally) resolves placeholders.</summary>
internal sealed class EnvironmentService(IEnvironmentRepository repository, CipherService cipher)
{
    private const int MaxCacheEntries = 10_000;
    private readonly ConcurrentDictionary<(string, string, string?, bool), CacheEntry> _cache = new();

    public IEnvironmentRepository Repository => repository;

    public static IReadOnlyList<string> ParseProfiles(string profile)
    {
        var list = profile.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var p in list)
        {
            RequestGuard.CheckSegment("profile", p);
        }
        return list.Length == 0 ? ["default"] : list;
    }

    public async Task<ConfigEnvironment> GetAsync(string application, string profile, string? label, bool resolvePlaceholders, CancellationToken ct) =>
        (await GetCachedAsync(application, profile, label, resolvePlaceholders, ct)).Environment;

    /// <summary>The environment as Spring's JSON, reused while the backend returns the very same parsed sources.</summary>
    public async Task<byte[]> GetJsonAsync(string application, string profile, string? label, bool resolvePlaceholders, CancellationToken ct)
    {
        var entry = await GetCachedAsync(application, profile, label, resolvePlaceholders, ct);
        return entry.Json ??= JsonSerializer.SerializeToUtf8Bytes(entry.Environment);
    }

    private async Task<CacheEntry> GetCachedAsync(string application, string profile, string? label, bool resolvePlaceholders, CancellationToken ct)
    {
        RequestGuard.CheckSegment("application", application);
        var profiles = ParseProfiles(profile);
        var decodedLabel = label is null ? null : RequestGuard.CheckLabel(label);
        var raw = await repository.FindOneAsync(application, profiles, decodedLabel, ct);
        var key = (application, profile, label, resolvePlaceholders);
        if (_cache.TryGetValue(key, out var hit) && hit.Matches(raw))
        {
            return hit;
        }
        var env = cipher.DecryptEnvironment(raw);
        env = resolvePlaceholders ? PlaceholderResolver.Resolve(env) : env;
        var entry = new CacheEntry(raw, env);
        if (_cache.Count >= MaxCacheEntries)
        {
            _cache.Clear();
        }
        _cache[key] = entry;
        return entry;
    }

    /// <summary>
    /// Decryption, placeholder resolution and serialization are skipped when the backend hands back the same parsed source
    /// objects as last time (the parse cache returns identical instances until a file, blob or row changes).
    /// </summary>
    private sealed class CacheEntry(ConfigEnvironment raw, ConfigEnvironment environment)
    {
        private readonly string? _version = raw.Version;
        private readonly string? _label = raw.Label;
        private readonly PropertySource[] _sources = [.. raw.PropertySources];

        public ConfigEnvironment Environment { get; } = environment;

        public byte[]? Json { get; set; }

        public bool Matches(ConfigEnvironment other)
        {
            if (other.Version != _version || other.Label != _label || other.PropertySources.Count != _sources.Length)
            {
                return false;
            }
            for (var i = 0; i < _sources.Length; i++)
            {
                if (!ReferenceEquals(_sources[i].Source, other.PropertySources[i].Source) || _sources[i].Name != other.PropertySources[i].Name)
                {
                    return false;
                }
            }
            return true;
        }
    }

    public Task<PlainTextResource?> GetResourceAsync(string application, string profile, string label, string path, CancellationToken ct)
    {
        RequestGuard.CheckSegment("application", application);
        var decodedLabel = RequestGuard.CheckLabel(label);
        return repository.FindResourceAsync(application, ParseProfiles(profile), decodedLabel, RequestGuard.CheckRelativePath(path), ct);
    }
}
