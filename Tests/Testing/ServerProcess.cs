using Infrastructure.Hosting.Processes;

namespace Infrastructure.Testing;

/// <summary>A real server process (one of our projects) on a loopback port, killed when disposed.</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private ServerProcess(ChildProcess process, Uri baseUri)
    {
        _process = process;
        BaseUri = baseUri;
    }

    /// <summary>Base address, e.g. <c>http://127.0.0.1:50123/</c>.</summary>
    public Uri BaseUri { get; }

    /// <summary>The OS process id.</summary>
    public int Pid => _process.Pid;

    /// <summary>Whether the process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process printed so far.</summary>
    public string Output => _process.Output;

    /// <summary>Starts <c>dotnet {project}.dll --urls http://127.0.0.1:{port}</c> and waits until <paramref name="readyPath"/> answers 2xx.</summary>
    public static async Task<ServerProcess> StartAsync(
        string projectFolder,
        int? port = null,
        IEnumerable<string>? args = null,
        IDictionary<string, string?>? environment = null,
        string readyPath = "/actuator/health",
        TimeSpan? timeout = null)
    {
        var baseUri = new Uri($"http://127.0.0.1:{port ?? FreePort.Next()}/");
        return await LaunchAsync(ProjectSpec(projectFolder, baseUri, args, environment), baseUri, readyPath, timeout);
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
        var spec = new ProcessSpec(fileName, [.. args ?? [], "--urls", baseUri.ToString().TrimEnd('/')]) { WorkingDirectory = workingDirectory };
        spec.Environment["DOTNET_NOLOGO"] = "1";
        return await LaunchAsync(spec.WithEnvironment(environment), baseUri, readyPath, timeout);
    }

    private static async Task<ServerProcess> LaunchAsync(ProcessSpec spec, Uri baseUri, string readyPath, TimeSpan? timeout)
    {
        var server = new ServerProcess(ChildProcess.Start(spec), baseUri);
        try
        {
            await server._process.WaitForUrlAsync(new Uri(baseUri, readyPath), timeout ?? TimeSpan.FromSeconds(60));
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
        var spec = ProjectSpec(projectFolder, new Uri($"http://127.0.0.1:{FreePort.Next()}/"), args: null, environment);
        var r = await ProcessRunner.RunAsync(spec, timeout ?? TimeSpan.FromSeconds(60));
        if (r.TimedOut)
        {
            throw new TimeoutException($"{projectFolder} was expected to stop on its own but still runs:\n{r.StandardOutput}{r.StandardError}");
        }
        return (r.ExitCode, r.StandardOutput + r.StandardError);
    }

    // dotnet {project}.dll --urls {urls} [args], in the project folder, in Development unless the environment says otherwise.
    private static ProcessSpec ProjectSpec(string projectFolder, Uri baseUri, IEnumerable<string>? args, IDictionary<string, string?>? environment)
    {
        var spec = new ProcessSpec("dotnet", [RepoPaths.ProjectDll(projectFolder), "--urls", baseUri.ToString().TrimEnd('/'), .. args ?? []])
        {
            WorkingDirectory = Path.Combine(RepoPaths.Root, projectFolder),
        };
        spec.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        spec.Environment["DOTNET_NOLOGO"] = "1";
        return spec.WithEnvironment(environment);
    }

    /// <summary>Kills the process abruptly (SIGKILL), as <c>kill -9</c> would.</summary>
    public void Kill() => _process.Kill();

    /// <summary>Asks the process to stop gracefully (SIGTERM) and waits for it.</summary>
    public Task StopGracefullyAsync(TimeSpan timeout) => _process.StopAsync(timeout);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
