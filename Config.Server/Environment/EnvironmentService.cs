using Infrastructure.Config.Server.Encryption;

namespace Infrastructure.Config.Server.Environment;

/// <summary>Fetches from the configured backend, then decrypts <c>{cipher}</c> values and (optionally) resolves placeholders.</summary>
internal sealed class EnvironmentService(IEnvironmentRepository repository, CipherService cipher)
{
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

    public ConfigEnvironment Get(string application, string profile, string? label, bool resolvePlaceholders)
    {
        RequestGuard.CheckSegment("application", application);
        var profiles = ParseProfiles(profile);
        var decodedLabel = label is null ? null : RequestGuard.DecodeLabel(label);
        if (decodedLabel is not null && (decodedLabel.Length == 0 || decodedLabel.Contains("..", StringComparison.Ordinal) || decodedLabel.Contains('\0', StringComparison.Ordinal)))
        {
            throw new BadConfigRequestException($"Invalid label '{label}'");
        }
        var env = cipher.DecryptEnvironment(repository.FindOne(application, profiles, decodedLabel));
        return resolvePlaceholders ? PlaceholderResolver.Resolve(env) : env;
    }

    public PlainTextResource? GetResource(string application, string profile, string label, string path)
    {
        RequestGuard.CheckSegment("application", application);
        var decodedLabel = RequestGuard.DecodeLabel(label);
        if (decodedLabel.Contains("..", StringComparison.Ordinal))
        {
            throw new BadConfigRequestException($"Invalid label '{label}'");
        }
        return repository.FindResource(application, ParseProfiles(profile), decodedLabel, RequestGuard.CheckRelativePath(path));
    }
}
