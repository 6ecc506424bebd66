using System.Diagnostics;

namespace Infrastructure.Testing;

/// <summary>Runs an ES module script (<c>node --input-type=module -e</c>) in <c>Tests/Interop.Js</c>, for ESM-only npm clients such as openid-client 6.</summary>
public static class NodeModuleScript
{
    /// <summary>Runs the module source; returns exit code and combined output. Killed after <paramref name="timeout"/>.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string script, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("node")
        {
            WorkingDirectory = TestDependencies.NodeClients,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("--input-type=module");
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
