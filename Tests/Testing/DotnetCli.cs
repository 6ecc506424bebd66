using Infrastructure.Hosting.Processes;

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
        var spec = new ProcessSpec("dotnet", args) { WorkingDirectory = workingDirectory };
        // The test host runs under `dotnet test`, whose MSBuild variables would steer the child's build; start it clean.
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>()
                     .Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)))
        {
            spec.Environment[key] = null;
        }
        // A reused MSBuild node would outlive the command holding its output pipe open.
        spec.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        spec.Environment["DOTNET_NOLOGO"] = "1";
        spec.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        spec.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        spec.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        // Waits for the exit itself, not for the end of the output: a compiler server the build started may keep the pipe open.
        var r = await ProcessRunner.RunAsync(spec, timeout);
        if (r.TimedOut)
        {
            throw new TimeoutException($"dotnet {string.Join(' ', args)} did not finish in {timeout}:\n{r.Output}");
        }
        return (r.ExitCode, r.Output);
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
}
