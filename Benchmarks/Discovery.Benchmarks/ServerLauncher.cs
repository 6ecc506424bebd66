using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Infrastructure.Discovery.Benchmarks;

/// <summary>Starts Discovery.Server as a child process on a free loopback port (building it first when needed).</summary>
internal sealed class ServerLauncher : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _tail = new();

    private ServerLauncher(Process process, Uri baseUri)
    {
        _process = process;
        BaseUri = baseUri;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri BaseUri { get; }

    public int Pid => _process.Id;

    /// <summary>The last lines the server printed (for error reports).</summary>
    public string Tail => string.Join(Environment.NewLine, _tail);

    public static ServerLauncher Start(string? dll, IEnumerable<string> extraArgs)
    {
        var root = FindRoot();
        dll ??= Path.Combine(root, "Discovery.Server", "bin", "Release", "net10.0", "Discovery.Server.dll");
        if (!File.Exists(dll))
        {
            Console.WriteLine($"{dll} missing: building Discovery.Server (Release)...");
            using var build = Process.Start(new ProcessStartInfo("dotnet", ["build", Path.Combine(root, "Discovery.Server", "Discovery.Server.csproj"), "-c", "Release", "-nologo", "-v", "q"])
            {
                UseShellExecute = false,
            })!;
            build.WaitForExit();
            if (build.ExitCode != 0 || !File.Exists(dll))
            {
                throw new InvalidOperationException($"building Discovery.Server failed (exit {build.ExitCode})");
            }
        }
        var port = FreePort();
        var baseUri = new Uri($"http://127.0.0.1:{port}/");
        var psi = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--urls");
        psi.ArgumentList.Add(baseUri.ToString().TrimEnd('/'));
        // One log line per request would measure the console, not the registry.
        psi.ArgumentList.Add("--Serilog:MinimumLevel:Default=Warning");
        foreach (var a in extraArgs)
        {
            psi.ArgumentList.Add(a);
        }
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the server");
        return new ServerLauncher(process, baseUri);
    }

    /// <summary>Waits until <c>GET /eureka/apps</c> answers 200.</summary>
    public static async Task WaitReadyAsync(HttpClient http, Uri baseUri, Func<bool> exited, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (exited())
            {
                throw new InvalidOperationException("the server exited during start");
            }
            try
            {
                using var r = await http.GetAsync(new Uri(baseUri, "eureka/apps"));
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"{baseUri}eureka/apps did not answer 200 within {timeout}");
    }

    public bool HasExited => _process.HasExited;

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        _tail.Enqueue(line);
        while (_tail.Count > 50)
        {
            _tail.TryDequeue(out _);
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string FindRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Infrastructure.sln")))
                {
                    return dir.FullName;
                }
            }
        }
        throw new InvalidOperationException("Infrastructure.sln not found above the current directory; pass --server-dll or --url");
    }
}
