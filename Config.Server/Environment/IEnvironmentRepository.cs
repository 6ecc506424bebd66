namespace Infrastructure.Config.Server.Environment;

/// <summary>
/// A configuration backend (Spring's <c>EnvironmentRepository</c> plus its <c>ResourceRepository</c>). Asynchronous, so a
/// database query, a git fetch or a file read never holds a thread while it waits.
/// </summary>
internal interface IEnvironmentRepository
{
    /// <summary>Short backend name for health and logs: native, git, postgres, composite.</summary>
    string Kind { get; }

    /// <summary>The property sources for an application, its profiles (last wins) and a label (null = the backend's default).</summary>
    Task<ConfigEnvironment> FindOneAsync(string application, IReadOnlyList<string> profiles, string? label, CancellationToken ct);

    /// <summary>A plain-text file for the application, profile-specific variants first; null when none exists.</summary>
    Task<PlainTextResource?> FindResourceAsync(string application, IReadOnlyList<string> profiles, string? label, string path, CancellationToken ct);
}

/// <summary>A plain file served as is.</summary>
internal sealed record PlainTextResource(string Name, byte[] Content);
