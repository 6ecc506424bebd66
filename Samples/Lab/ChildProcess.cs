using System.Diagnostics;
using System.Globalization;

namespace Infrastructure.Samples.Lab;

/// <summary>A lab process whose output is prefixed and coloured, stopped gracefully (SIGTERM) and then killed.</summary>
internal sealed class ChildProcess : IDisposable
{
    private static readonly string[] Colours = ["36", "32", "33", "35", "34", "96", "92", "93", "95", "94"];
    private static readonly Lock ConsoleLock = new();
    private readonly Process _process;
    private readonly string _prefix;

    private ChildProcess(Process process, string prefix)
    {
        _process = process;
        _prefix = prefix;
    }

    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public static ChildProcess Start(string label, int colourIndex, bool noColor, string fileName, IEnumerable<string> args, IDictionary<string, string> env, string workingDirectory)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var a in args) { psi.ArgumentList.Add(a); }
        foreach (var (k, v) in env) { psi.Environment[k] = v; }
        var padded = label.PadRight(12);
        var prefix = noColor ? $"{padded}| " : $"\u001b[{Colours[colourIndex % Colours.Length]}m{padded}|\u001b[0m ";
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {fileName}");
        var child = new ChildProcess(p, prefix);
        p.OutputDataReceived += (_, e) => child.Write(e.Data);
        p.ErrorDataReceived += (_, e) => child.Write(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return child;
    }

    private void Write(string? line)
    {
        if (line is null) { return; }
        lock (ConsoleLock) { Console.Out.WriteLine(_prefix + line); }
    }

    /// <summary>SIGTERM (so services deregister and drain), then SIGKILL of the whole tree after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited) { return; }
        try
        {
            if (OperatingSystem.IsWindows())
            {
                _process.Kill(entireProcessTree: true);
            }
            else
            {
                using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
                await kill!.WaitForExitAsync();
            }
            using var cts = new CancellationTokenSource(grace);
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) { _process.Kill(entireProcessTree: true); }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
