using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Infrastructure.Testing;

/// <summary>The lab launcher (<c>Samples/Lab</c>) run as a real process, as a student runs it.</summary>
public sealed class LabProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly int _keepLines;
    private readonly Action<string>? _onLine;
    private volatile bool _ready;

    private LabProcess(Process process, int keepLines, Action<string>? onLine)
    {
        _process = process;
        _keepLines = keepLines;
        _onLine = onLine;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private void Keep(string? line)
    {
        if (line is null) { return; }
        _onLine?.Invoke(line);
        _lines.Enqueue(line);
        while (_keepLines > 0 && _lines.Count > _keepLines) { _lines.TryDequeue(out _); }
        if (line.Contains("Lab ready", StringComparison.Ordinal)) { _ready = true; }
    }

    /// <summary>The lab's process id.</summary>
    public int Pid => _process.Id;

    /// <summary>Everything printed so far (the last lines only, when started with a line limit).</summary>
    public string Output => string.Join('\n', _lines);

    /// <summary>Whether the lab has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <c>dotnet Lab.dll args</c> and waits for its "Lab ready" line.</summary>
    /// <param name="args">The lab's arguments.</param>
    /// <param name="timeout">How long to wait for the lab to be ready.</param>
    /// <param name="keepLines">Keep only the last this many lines of output (0: all), for labs that run long under load.</param>
    /// <param name="onLine">Sees every line as it comes (even those not kept); called on the output reader's thread.</param>
    public static async Task<LabProcess> StartAsync(IEnumerable<string> args, TimeSpan timeout, int keepLines = 0, Action<string>? onLine = null)
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
        var lab = new LabProcess(Process.Start(psi)!, keepLines, onLine);
        var sw = Stopwatch.StartNew();
        while (!lab._ready)
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
