using System.Diagnostics;
using System.Globalization;

namespace Infrastructure.Hosting.Processes;

/// <summary>
/// A started child process: its output lines kept and passed on, bounded waits for readiness (a URL, a log line, any
/// check), a graceful stop (a signal, then a kill of the whole tree after a deadline), and a tree kill when disposed.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable, IDisposable
{
    private readonly Process _process;
    private readonly ProcessSpec _spec;
    private readonly Queue<OutputLine> _lines = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errorClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(Func<string, bool> Match, TaskCompletionSource Seen)> _lineWaits = [];

    private ChildProcess(Process process, ProcessSpec spec)
    {
        _process = process;
        _spec = spec;
    }

    /// <summary>The OS process id.</summary>
    public int Pid => _process.Id;

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>The lines kept so far (see <see cref="ProcessSpec.KeepLines"/>), one per line.</summary>
    public string Output => Text(line => true, Environment.NewLine, trailing: false);

    /// <summary>Starts the process; its output is read from now on.</summary>
    public static ChildProcess Start(ProcessSpec spec)
    {
        var psi = new ProcessStartInfo(spec.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = spec.DetachInput,
            UseShellExecute = false,
        };
        if (spec.AsUser is not null && Users.IsRoot())
        {
            psi.FileName = "runuser";
            foreach (var a in new[] { "-u", spec.AsUser, "--", spec.FileName }) { psi.ArgumentList.Add(a); }
        }
        foreach (var a in spec.Arguments) { psi.ArgumentList.Add(a); }
        if (spec.WorkingDirectory is not null) { psi.WorkingDirectory = spec.WorkingDirectory; }
        foreach (var (k, v) in spec.Environment)
        {
            if (v is null) { psi.Environment.Remove(k); } else { psi.Environment[k] = v; }
        }
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var child = new ChildProcess(process, spec);
        process.Exited += (_, _) => child._exited.TrySetResult();
        process.OutputDataReceived += (_, e) => child.Keep(e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => child.Keep(e.Data, isError: true);
        try
        {
            process.Start();
        }
        catch
        {
            process.Dispose();
            throw;
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void Keep(string? text, bool isError)
    {
        if (text is null)
        {
            // The end of that stream: every line of it has been seen.
            (isError ? _errorClosed : _outputClosed).TrySetResult();
            return;
        }
        var line = new OutputLine(text, isError);
        lock (_lines)
        {
            if (_spec.KeepLines > 0)
            {
                _lines.Enqueue(line);
                while (_lines.Count > _spec.KeepLines) { _lines.Dequeue(); }
            }
            foreach (var (match, seen) in _lineWaits)
            {
                if (match(text)) { seen.TrySetResult(); }
            }
        }
        // After keeping it, so whoever reacts to a line finds it in Output.
        _spec.OnLine?.Invoke(line);
    }

    /// <summary>The kept lines that <paramref name="which"/> selects, joined.</summary>
    internal string Text(Func<OutputLine, bool> which, string separator, bool trailing)
    {
        lock (_lines)
        {
            var selected = _lines.Where(which).Select(l => l.Text);
            return trailing ? string.Concat(selected.Select(l => l + separator)) : string.Join(separator, selected);
        }
    }

    /// <summary>
    /// Calls <paramref name="ready"/> until it says yes (see <see cref="Readiness.WaitUntilAsync"/>); throws
    /// <see cref="InvalidOperationException"/> when this process exits first and <see cref="TimeoutException"/> after
    /// <paramref name="timeout"/>, both with what the process printed.
    /// </summary>
    public Task WaitUntilAsync(Func<CancellationToken, Task<bool>> ready, TimeSpan timeout, string what, TimeSpan? interval = null, CancellationToken ct = default) =>
        Readiness.WaitUntilAsync(ready, timeout, what, this, interval, ct);

    /// <summary>Waits until <paramref name="url"/> answers 2xx (or what <paramref name="accept"/> accepts), as <see cref="WaitUntilAsync"/>.</summary>
    public Task WaitForUrlAsync(Uri url, TimeSpan timeout, Func<HttpResponseMessage, bool>? accept = null, TimeSpan? interval = null, CancellationToken ct = default) =>
        Readiness.WaitForUrlAsync(url, timeout, accept, this, interval, ct);

    /// <summary>Waits until a line <paramref name="match"/> accepts has been printed (from now on), as <see cref="WaitUntilAsync"/>.</summary>
    public async Task WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what, CancellationToken ct = default)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lines) { _lineWaits.Add((match, seen)); }
        try
        {
            await WaitUntilAsync(_ => Task.FromResult(seen.Task.IsCompleted), timeout, what, TimeSpan.FromMilliseconds(100), ct);
        }
        finally
        {
            lock (_lines) { _lineWaits.RemoveAll(w => w.Seen == seen); }
        }
    }

    /// <summary>
    /// Waits for the process to exit, then up to 5 s for its last output lines (not longer: a grandchild may hold the
    /// pipe); false on timeout.
    /// </summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        if (!_process.HasExited && await Task.WhenAny(_exited.Task, Task.Delay(timeout)) != _exited.Task && !_process.HasExited)
        {
            return false;
        }
        await DrainOutputAsync();
        return true;
    }

    /// <summary>Completes when the process exits (its output may still be arriving).</summary>
    internal Task Exited => _exited.Task;

    /// <summary>
    /// Gives the output readers a bounded moment (5 s by default) to deliver the last lines of an exited process
    /// (<see cref="Process.WaitForExit(int)"/> does not wait for them).
    /// </summary>
    internal Task DrainOutputAsync(TimeSpan? timeout = null) =>
        Task.WhenAny(Task.WhenAll(_outputClosed.Task, _errorClosed.Task), Task.Delay(timeout ?? TimeSpan.FromSeconds(5)));

    /// <summary>Sends a POSIX signal (<c>INT</c>, <c>TERM</c>, <c>KILL</c>, <c>STOP</c>, <c>CONT</c>) to the process itself.</summary>
    public Task SignalAsync(string signal) => Signals.SendAsync(_process.Id, signal);

    /// <summary>
    /// Sends <paramref name="signal"/> (SIGTERM by default: a server deregisters and drains) and waits up to
    /// <paramref name="grace"/>; then kills the whole tree. On Windows the tree is killed at once.
    /// </summary>
    public async Task StopAsync(TimeSpan grace, string signal = "TERM")
    {
        if (_process.HasExited) { return; }
        if (OperatingSystem.IsWindows())
        {
            Kill();
            return;
        }
        try
        {
            await SignalAsync(signal);
        }
        catch (InvalidOperationException)
        {
            // Gone between the check and the signal.
        }
        if (!await WaitForExitAsync(grace)) { Kill(); }
    }

    /// <summary>Kills the process and everything it started (SIGKILL), as <c>kill -9</c> would, and waits (bounded) for it.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    /// <summary>Kills the tree (if still running) and releases the process handle.</summary>
    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    /// <inheritdoc cref="Dispose"/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>POSIX signals by name, through <c>kill</c>.</summary>
public static class Signals
{
    /// <summary>Sends <c>SIG{signal}</c> to <paramref name="pid"/>; throws <see cref="InvalidOperationException"/> when <c>kill</c> refuses.</summary>
    public static async Task SendAsync(int pid, string signal)
    {
        var r = await ProcessRunner.RunAsync(new ProcessSpec("kill", ["-s", signal, pid.ToString(CultureInfo.InvariantCulture)]), TimeSpan.FromSeconds(10));
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -s {signal} {pid} exited with {r.ExitCode}: {r.Output}");
        }
    }
}

/// <summary>Who this process runs as.</summary>
public static class Users
{
    /// <summary>Whether this process runs as root (where PostgreSQL's initdb refuses to run).</summary>
    public static bool IsRoot() => !OperatingSystem.IsWindows() && Environment.UserName == "root";
}
