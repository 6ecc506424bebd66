using System.Collections.Concurrent;
using System.Diagnostics;

namespace Infrastructure.Testing;

/// <summary>A real server process (one of our projects) on a loopback port, killed when disposed.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ServerProcess(Process process, Uri baseUri)
    {
        _process = process;
        BaseUri = baseUri;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _output.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _output.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Base address, e.g. <c>http://127.0.0.1:50123/</c>.</summary>
    public Uri BaseUri { get; }

    /// <summary>The OS process id.</summary>
    public int Pid => _process.Id;

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process printed so far.</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>Starts <c>dotnet {project}.dll --urls http://127.0.0.1:{port}</c> and waits until <paramref name="readyPath"/> answers 2xx.</summary>
    public static async Task<ServerProcess> StartAsync(
        string projectFolder,
        int? port = null,
        IEnumerable<string>? args = null,
        IDictionary<string, string?>? environment = null,
        string readyPath = "/actuator/health",
        TimeSpan? timeout = null)
    {
        var p = port ?? FreePort.Next();
        var baseUri = new Uri($"http://127.0.0.1:{p}/");
        var psi = StartInfo(projectFolder, baseUri.ToString().TrimEnd('/'), args, environment);
        return await LaunchAsync(psi, baseUri, readyPath, timeout);
    }

    /// <summary>
    /// Starts a program that is not a project built in this repository — a published self-contained executable, or
    /// <c>dotnet app.dll</c> of a project made outside it — with <c>--urls http://127.0.0.1:{port}</c> after
    /// <paramref name="args"/>, in its own environment (no <c>ASPNETCORE_ENVIRONMENT</c> unless given), and waits as
    /// <see cref="StartAsync"/> does.
    /// </summary>
    public static async Task<ServerProcess> StartProgramAsync(
        string fileName,
        string workingDirectory,
        IEnumerable<string>? args = null,
        IDictionary<string, string?>? environment = null,
        int? port = null,
        string readyPath = "/actuator/health",
        TimeSpan? timeout = null)
    {
        var baseUri = new Uri($"http://127.0.0.1:{port ?? FreePort.Next()}/");
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var a in args ?? [])
        {
            psi.ArgumentList.Add(a);
        }
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add(baseUri.ToString().TrimEnd('/'));
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>())
        {
            psi.Environment[k] = v;
        }
        return await LaunchAsync(psi, baseUri, readyPath, timeout);
    }

    private static async Task<ServerProcess> LaunchAsync(ProcessStartInfo psi, Uri baseUri, string readyPath, TimeSpan? timeout)
    {
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + psi.FileName);
        var server = new ServerProcess(process, baseUri);
        try
        {
            await server.WaitReadyAsync(readyPath, timeout ?? TimeSpan.FromSeconds(60));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>Starts the server as <see cref="StartAsync"/> does, expecting it to stop on its own (a start that fails); returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(
        string projectFolder, IDictionary<string, string?> environment, TimeSpan? timeout = null)
    {
        var psi = StartInfo(projectFolder, $"http://127.0.0.1:{FreePort.Next()}", args: null, environment);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + projectFolder);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{projectFolder} was expected to stop on its own but still runs:\n{await stdout}{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    // dotnet {project}.dll --urls {urls} [args], in the project folder, in Development unless the environment says otherwise.
    private static ProcessStartInfo StartInfo(string projectFolder, string urls, IEnumerable<string>? args, IDictionary<string, string?>? environment)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.Combine(RepoPaths.Root, projectFolder),
        };
        psi.ArgumentList.Add(RepoPaths.ProjectDll(projectFolder));
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add(urls);
        foreach (var a in args ?? [])
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>())
        {
            psi.Environment[k] = v;
        }
        return psi;
    }

    private async Task WaitReadyAsync(string path, TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(2) };
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                // Without a timeout this also waits for the redirected output to end, so the message holds all of it.
                _process.WaitForExit();
                throw new InvalidOperationException($"process exited with {_process.ExitCode} before it was ready:\n{Output}");
            }
            try
            {
                using var r = await http.GetAsync(path);
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(150);
        }
        throw new TimeoutException($"{BaseUri}{path} not ready after {timeout}:\n{Output}");
    }

    /// <summary>Kills the process abruptly (SIGKILL), as <c>kill -9</c> would.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>Asks the process to stop gracefully (SIGTERM) and waits for it.</summary>
    public async Task StopGracefullyAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return;
        }
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
