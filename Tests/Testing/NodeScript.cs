using Infrastructure.Hosting.Processes;

namespace Infrastructure.Testing;

/// <summary>Runs a Node.js script (from <c>Tests/Interop.Js</c>) that drives a real third-party client against our servers.</summary>
public static class NodeScript
{
    /// <summary>Runs <c>node -e script</c> in the npm clients folder; returns exit code and combined output. Killed after <paramref name="timeout"/>.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(string script, TimeSpan timeout, IDictionary<string, string>? environment = null)
        => RunAsync(script, timeout, environment, module: false);

    /// <summary>As above; with <paramref name="module"/> the script is an ES module (<c>node --input-type=module -e</c>).</summary>
    internal static async Task<(int ExitCode, string Output)> RunAsync(string script, TimeSpan timeout, IDictionary<string, string>? environment, bool module)
    {
        var spec = new ProcessSpec("node", [.. module ? ["--input-type=module"] : Array.Empty<string>(), "-e", script])
        {
            WorkingDirectory = TestDependencies.NodeClients,
        };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            spec.Environment[k] = v;
        }
        var r = await ProcessRunner.RunAsync(spec, timeout);
        return r.TimedOut
            ? (-1, "TIMEOUT\n" + r.StandardOutput + r.StandardError)
            : (r.ExitCode, r.StandardOutput + r.StandardError);
    }
}
