namespace Infrastructure.Config.Server.Environment;

/// <summary>
/// Spring's composite backend: every configured backend is asked, and their property sources are listed in configuration order,
/// so for each key the first backend that has it wins. A backend that lacks the label is skipped; if all lack it, 404.
/// </summary>
internal sealed class CompositeEnvironmentRepository(IReadOnlyList<IEnvironmentRepository> repositories) : IEnvironmentRepository
{
    public string Kind => "composite(" + string.Join(",", repositories.Select(r => r.Kind)) + ")";

    internal IReadOnlyList<IEnvironmentRepository> Repositories => repositories;

    public async Task<ConfigEnvironment> FindOneAsync(string application, IReadOnlyList<string> profiles, string? label, CancellationToken ct)
    {
        var sources = new List<PropertySource>();
        string? version = null;
        string? effectiveLabel = label;
        NoSuchLabelException? missing = null;
        var found = 0;
        foreach (var r in repositories)
        {
            try
            {
                var env = await r.FindOneAsync(application, profiles, label, ct);
                sources.AddRange(env.PropertySources);
                version ??= env.Version;
                effectiveLabel ??= env.Label;
                found++;
            }
            catch (NoSuchLabelException e)
            {
                missing = e;
            }
        }
        if (found == 0 && missing is not null)
        {
            throw missing;
        }
        return new ConfigEnvironment
        {
            Name = application,
            Profiles = [.. profiles],
            Label = effectiveLabel,
            Version = version,
            PropertySources = sources,
        };
    }

    public async Task<PlainTextResource?> FindResourceAsync(string application, IReadOnlyList<string> profiles, string? label, string path, CancellationToken ct)
    {
        foreach (var r in repositories)
        {
            try
            {
                if (await r.FindResourceAsync(application, profiles, label, path, ct) is { } found)
                {
                    return found;
                }
            }
            catch (NoSuchLabelException)
            {
            }
        }
        return null;
    }
}
