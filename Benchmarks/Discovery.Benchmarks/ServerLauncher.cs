using Infrastructure.Hosting.Processes;

namespace Infrastructure.Discovery.Benchmarks;

/// <summary>Starts Discovery.Server as a child process on a free loopback port (building it first when needed).</summary>
internal sealed class ServerLauncher : IDisposable
{
    private ServerLauncher(ChildProcess process, Uri baseUri)
    {
        Process = process;
        BaseUri = baseUri;
    }

    /// <summary>The server's process.</summary>
    public ChildProcess Process { get; }

    public Uri BaseUri { get; }

    public int Pid => Process.Pid;

    /// <summary>The last lines the server printed (for error reports).</summary>
    public string Tail => Process.Output;

    public bool HasExited => Process.HasExited;

    public static ServerLauncher Start(string? dll, IEnumerable<string> extraArgs)
    {
        var root = RepositoryLayout.FindRoot(Directory.GetCurrentDirectory(), AppContext.BaseDirectory);
        dll ??= RepositoryLayout.ProjectDll(root, "Discovery.Server", "Release");
        if (!File.Exists(dll))
        {
            Console.WriteLine($"{dll} missing: building Discovery.Server (Release)...");
            var build = ProcessRunner.RunAsync(
                new ProcessSpec("dotnet", ["build", Path.Combine(root, "Discovery.Server", "Discovery.Server.csproj"), "-c", "Release", "-nologo", "-v", "q"])
                {
                    OnLine = line => Console.WriteLine(line.Text),
                    KeepLines = 0,
                },
                TimeSpan.FromMinutes(10)).GetAwaiter().GetResult();
            if (build.ExitCode != 0 || !File.Exists(dll))
            {
                throw new InvalidOperationException($"building Discovery.Server failed (exit {build.ExitCode})");
            }
        }
        var baseUri = new Uri($"http://127.0.0.1:{LoopbackPort.Next()}/");
        var spec = new ProcessSpec("dotnet",
        [
            dll, "--urls", baseUri.ToString().TrimEnd('/'),
            // One log line per request would measure the console, not the registry.
            "--Serilog:MinimumLevel:Default=Warning",
            .. extraArgs,
        ])
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            KeepLines = 50,
        };
        spec.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        spec.Environment["DOTNET_NOLOGO"] = "1";
        return new ServerLauncher(ChildProcess.Start(spec), baseUri);
    }

    public void Dispose() => Process.Dispose();
}
