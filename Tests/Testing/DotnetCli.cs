using System.Diagnostics;
using System.Text;

namespace Infrastructure.Testing;

/// <summary>Runs the .NET SDK's CLI (<c>dotnet pack</c>, <c>new</c>, <c>build</c>, <c>test</c>, <c>publish</c>) from a test, bounded in time.</summary>
public static class DotnetCli
{
    /// <summary>
    /// Runs <c>dotnet {args}</c> in <paramref name="workingDirectory"/> and returns its exit code and output; throws
    /// <see cref="TimeoutException"/> (with the output) after <paramref name="timeout"/>, having killed it.
    /// </summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string workingDirectory, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        // The test host runs under `dotnet test`, whose MSBuild variables would steer the child's build; start it clean.
        foreach (var key in psi.Environment.Keys
                     .Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
                     .ToList())
        {
            psi.Environment.Remove(key);
        }
        // A reused MSBuild node would outlive the command holding its output pipe open.
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        psi.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";

        var output = new StringBuilder();
        using var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.Exited += (_, _) => exited.TrySetResult();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // Waits for the exit itself, not for the end of the output: a compiler server the build started may keep the pipe open.
        if (await Task.WhenAny(exited.Task, Task.Delay(timeout)) != exited.Task)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', args)} did not finish in {timeout}:\n{Text(output)}");
        }
        process.WaitForExit(2000);
        return (process.ExitCode, Text(output));
    }

    /// <summary>As <see cref="RunAsync"/>, throwing with the output unless the exit code is 0.</summary>
    public static async Task<string> RunCheckedAsync(string workingDirectory, TimeSpan timeout, params string[] args)
    {
        var (code, output) = await RunAsync(workingDirectory, timeout, args);
        if (code != 0)
        {
            throw new InvalidOperationException($"dotnet {string.Join(' ', args)} exited with {code}:\n{output}");
        }
        return output;
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}
