using System.Diagnostics;
using Infrastructure.Hosting.Processes;

namespace Infrastructure.Testing;

/// <summary>The lab launcher (<c>Samples/Lab</c>) run as a real process, as a student runs it.</summary>
public sealed class LabProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private LabProcess(ChildProcess process) => _process = process;

    /// <summary>The lab's process id.</summary>
    public int Pid => _process.Pid;

    /// <summary>Everything printed so far (the last lines only, when started with a line limit).</summary>
    public string Output => _process.Output;

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
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var spec = new ProcessSpec("dotnet", [RepoPaths.ProjectDll(Path.Combine("Samples", "Lab"), "Lab"), "--no-color", .. args])
        {
            WorkingDirectory = RepoPaths.Root,
            KeepLines = keepLines > 0 ? keepLines : int.MaxValue,
            OnLine = line =>
            {
                onLine?.Invoke(line.Text);
                if (line.Text.Contains("Lab ready", StringComparison.Ordinal)) { ready.TrySetResult(); }
            },
        };
        var lab = new LabProcess(ChildProcess.Start(spec));
        var sw = Stopwatch.StartNew();
        while (!ready.Task.IsCompleted)
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
    public Task SignalAsync(string signal) => _process.SignalAsync(signal);

    /// <summary>Waits for the lab to exit; false on timeout.</summary>
    public Task<bool> WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(timeout);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
