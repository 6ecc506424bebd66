using System.Globalization;
using Infrastructure.Testing;

namespace Infrastructure.Packaging.Tests;

/// <summary>
/// Packs the libraries and the template once for the whole class, into a temp folder outside the repository, with a
/// version no earlier run used (so a package of the same version already in the global NuGet cache cannot stand in for
/// this build), and writes the NuGet config a project there restores with: that folder, then the machine's own feeds.
/// </summary>
public sealed class PackedArtifacts : IAsyncLifetime
{
    /// <summary>Package ids of the libraries a service references (Eureka.Protocol through Discovery.Client).</summary>
    public static readonly string[] LibraryIds = ["Infrastructure.ServiceDefaults", "Infrastructure.Eureka.Protocol", "Infrastructure.Discovery.Client", "Infrastructure.Config.Client"];

    /// <summary>The template package's id.</summary>
    public const string TemplateId = "Infrastructure.Templates";

    /// <summary>Time for one CLI step on a busy two-core machine (a cold restore included).</summary>
    public static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(8);

    /// <summary>The temp folder everything of this run lives in (deleted at the end).</summary>
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "infra-outside-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>The version of every package of this run, e.g. <c>0.1.0-test.20261201174500.3f9a</c>.</summary>
    public string Version { get; private set; } = "";

    /// <summary>The local package folder.</summary>
    public string Packages => Path.Combine(Root, "packages");

    /// <summary>Where projects made by the tests go; the NuGet config sits here.</summary>
    public string Work => Path.Combine(Root, "work");

    /// <summary>The build's own intermediate and output folders, kept out of the repository's bin and obj.</summary>
    public string BuildArtifacts => Path.Combine(Root, "build");

    /// <summary>How long packing took.</summary>
    public TimeSpan PackTime { get; private set; }

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Packages);
        Directory.CreateDirectory(Work);
        var suffix = "test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "." + Guid.NewGuid().ToString("N")[..4];
        var started = DateTime.UtcNow;
        // The same command as `build.ps1 pack`, plus the run's suffix and a private output.
        string[] pack = ["pack", Path.Combine(RepoPaths.Root, "Packages.slnf"), "-c", "Release", "-nologo",
            "-p:VersionSuffix=" + suffix, "-p:ArtifactsPath=" + BuildArtifacts, "-p:PackageOutputPath=" + Packages];
        try
        {
            await DotnetCli.RunCheckedAsync(RepoPaths.Root, StepTimeout, pack);
        }
        catch (InvalidOperationException e) when (e.Message.Contains("MSB4181", StringComparison.Ordinal))
        {
            // NuGet's restore, racing the other test assemblies' builds, can fail at once without saying why
            // ("RestoreTask returned false but did not log an error"; one full run in five): once more, then it counts.
            await DotnetCli.RunCheckedAsync(RepoPaths.Root, StepTimeout, pack);
        }
        PackTime = DateTime.UtcNow - started;
        Version = ReadVersion(suffix);
        File.WriteAllText(Path.Combine(Work, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <!-- This run's packages first; the machine's feeds (inherited from the user-wide config) for everything else. -->
                <add key="infrastructure-local" value="{Packages}" />
              </packageSources>
            </configuration>
            """);
    }

    /// <inheritdoc />
    public Task DisposeAsync()
    {
        // This run's version is never asked for again: drop its copies from the global cache too, so runs do not pile up there.
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } custom
            ? custom
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var folders = LibraryIds.Append(TemplateId).Select(id => Path.Combine(cache, id.ToLowerInvariant(), Version.ToLowerInvariant()));
        foreach (var folder in folders.Where(_ => Version.Length > 0).Append(Root))
        {
            try
            {
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }
                // The id's folder too, when no other version is left in it.
                if (Path.GetDirectoryName(folder) is { } id && id.StartsWith(cache, StringComparison.Ordinal) && Directory.Exists(id) && !Directory.EnumerateFileSystemEntries(id).Any())
                {
                    Directory.Delete(id);
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>The path of a package of this run.</summary>
    public string PackagePath(string id) => Path.Combine(Packages, $"{id}.{Version}.nupkg");

    private string ReadVersion(string suffix)
    {
        var template = Directory.GetFiles(Packages, TemplateId + ".*.nupkg").Single();
        var name = Path.GetFileNameWithoutExtension(template);
        var version = name[(TemplateId.Length + 1)..];
        Assert.EndsWith("-" + suffix, version, StringComparison.Ordinal);
        return version;
    }
}
