using Infrastructure.Mesh.Api.Resources;
using Infrastructure.Mesh.ControlPlane.Config;

namespace Infrastructure.Mesh.ControlPlane.Analysis;

/// <summary>
/// <c>Mesh.ControlPlane analyze &lt;folder&gt; [--registry &lt;eureka url&gt;]</c>: validates and analyzes a resource folder as
/// <c>istioctl analyze</c> does, prints one finding per line, and exits 1 when there is an error (0 otherwise), without
/// starting a server.
/// </summary>
internal static class AnalyzeCommand
{
    public const string Name = "analyze";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        string? folder = null;
        Uri? registry = null;
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] is "--registry" or "-r" && i + 1 < args.Length)
            {
                if (!Uri.TryCreate(args[++i], UriKind.Absolute, out registry))
                {
                    await error.WriteLineAsync($"Error: --registry needs an absolute URL, e.g. http://127.0.0.1:8761/eureka/ (got \"{args[i]}\")").ConfigureAwait(false);
                    return 1;
                }
            }
            else if (args[i] is "-h" or "--help")
            {
                await output.WriteLineAsync("Usage: Mesh.ControlPlane analyze <folder> [--registry <eureka url>]").ConfigureAwait(false);
                return 0;
            }
            else if (folder is null && !args[i].StartsWith('-'))
            {
                folder = args[i];
            }
            else
            {
                await error.WriteLineAsync($"Error: unexpected argument \"{args[i]}\". Usage: Mesh.ControlPlane analyze <folder> [--registry <eureka url>]").ConfigureAwait(false);
                return 1;
            }
        }
        if (folder is null)
        {
            await error.WriteLineAsync("Error: no folder given. Usage: Mesh.ControlPlane analyze <folder> [--registry <eureka url>]").ConfigureAwait(false);
            return 1;
        }
        var snapshot = ReadFolder(folder, out var missing);
        if (missing)
        {
            await error.WriteLineAsync($"Error: the folder {folder} does not exist").ConfigureAwait(false);
            return 1;
        }
        IReadOnlyList<Workload>? workloads = null;
        if (registry is not null)
        {
            try
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
                workloads = await EurekaWorkloads.ReadAsync(http, registry, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
                await error.WriteLineAsync($"Warning: the registry {registry} could not be read ({ex.Message}); the registry checks are skipped").ConfigureAwait(false);
            }
        }
        var findings = MeshAnalyzer.Analyze(snapshot.Resources, snapshot.Rejected, workloads);
        foreach (var finding in findings)
        {
            await output.WriteLineAsync(finding.ToString()).ConfigureAwait(false);
        }
        if (findings.Count == 0)
        {
            await output.WriteLineAsync($"No validation issues found when analyzing {folder} ({snapshot.Resources.Count} resources).").ConfigureAwait(false);
        }
        return findings.Any(f => f.Level == FindingLevel.Error) ? 1 : 0;
    }

    /// <summary>Every resource file under <paramref name="folder"/>, merged as the server merges them.</summary>
    internal static ResourceSnapshot ReadFolder(string folder, out bool missing)
    {
        var store = new ResourceStore();
        missing = !Directory.Exists(folder);
        if (missing)
        {
            return store.Current;
        }
        var reads = ResourceFiles.Under(folder).ToDictionary(f => f.Source, f => MeshResourceReader.ReadFile(f.Path, f.Source), StringComparer.Ordinal);
        store.Apply(reads, []);
        return store.Current;
    }
}
