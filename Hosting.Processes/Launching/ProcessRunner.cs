namespace Infrastructure.Hosting.Processes;

/// <summary>Runs a program to its end, bounded in time, and returns what it printed.</summary>
public static class ProcessRunner
{
    /// <summary>
    /// Runs <paramref name="spec"/> until it exits; after <paramref name="timeout"/> kills its whole tree and returns
    /// <see cref="ProcessResult.TimedOut"/>. Waits for the exit itself, then briefly for the last lines: a grandchild
    /// that holds the output pipe (a compiler server) does not hold the caller.
    /// </summary>
    public static async Task<ProcessResult> RunAsync(ProcessSpec spec, TimeSpan timeout)
    {
        using var child = ChildProcess.Start(spec);
        var exited = await Task.WhenAny(child.Exited, Task.Delay(timeout)) == child.Exited || child.HasExited;
        if (!exited)
        {
            child.Kill();
        }
        await child.DrainOutputAsync(TimeSpan.FromSeconds(2));
        return new ProcessResult(
            exited ? child.ExitCode : -1,
            child.Text(l => !l.IsError, "\n", trailing: true),
            child.Text(l => l.IsError, "\n", trailing: true),
            child.Text(_ => true, "\n", trailing: true),
            !exited);
    }

    /// <summary>As <see cref="RunAsync"/>, throwing <see cref="InvalidOperationException"/> with the output unless it exits 0 in time.</summary>
    public static async Task<ProcessResult> RunCheckedAsync(ProcessSpec spec, TimeSpan timeout)
    {
        var r = await RunAsync(spec, timeout);
        var command = string.Join(' ', [spec.FileName, .. spec.Arguments]);
        if (r.TimedOut)
        {
            throw new InvalidOperationException($"{command} did not finish within {timeout.TotalSeconds:0} s: {r.Output}");
        }
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} exited with {r.ExitCode}: {r.Output}");
        }
        return r;
    }
}
