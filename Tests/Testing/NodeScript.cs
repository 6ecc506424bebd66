using System.Diagnostics;

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
        var psi = new ProcessStartInfo("node")
        {
            WorkingDirectory = TestDependencies.NodeClients,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (module)
        {
            psi.ArgumentList.Add("--input-type=module");
        }
        psi.ArgumentList.Add("-e");
        psi.ArgumentList.Add(script);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(true);
            await p.WaitForExitAsync();
            return (-1, "TIMEOUT\n" + await stdout + await stderr);
        }
        return (p.ExitCode, await stdout + await stderr);
    }
}
