using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Infrastructure.Testing;

/// <summary>The lab launcher (<c>Samples/Lab</c>) run as a real process, as a student runs it.</summary>
public sealed class LabProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private LabProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _lines.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _lines.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The lab's process id.</summary>
    public int Pid => _process.Id;

    /// <summary>Everything printed so far.</summary>
    public string Output => string.Join('\n', _lines);

    /// <summary>Whether the lab has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <c>dotnet Lab.dll args</c> and waits for its "Lab ready" line.</summary>
    public static async Task<LabProcess> StartAsync(IEnumerable<string> args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        psi.ArgumentList.Add(RepoPaths.ProjectDll(Path.Combine("Samples", "Lab"), "Lab"));
        psi.ArgumentList.Add("--no-color");
        foreach (var a in args) { psi.ArgumentList.Add(a); }
        var lab = new LabProcess(Process.Start(psi)!);
        var sw = Stopwatch.StartNew();
        while (!lab.Output.Contains("Lab ready", StringComparison.Ordinal))
        {
            if (lab.HasExited || sw.Elapsed > timeout)
            {
                var output = lab.Output;
                var exited = lab.HasExited;
                await lab.DisposeAsync();
                throw new InvalidOperationException($"lab not ready (exited: {exited}) after {sw.Elapsed}:\n{output}");
            }
            await Task.Delay(200);
        }
        return lab;
    }

    /// <summary>Sends a POSIX signal (INT, TERM, KILL) to the lab process itself.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
    }

    /// <summary>Waits for the lab to exit; false on timeout.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try { await _process.WaitForExitAsync(cts.Token); return true; }
        catch (OperationCanceledException) { return false; }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        try { if (!_process.HasExited) { _process.Kill(entireProcessTree: true); } } catch (InvalidOperationException) { }
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
