using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using Infrastructure.Testing;

namespace Infrastructure.ServiceDefaults.Tests;

/// <summary>The standalone Aspire Dashboard (from the Aspire.Dashboard.Sdk NuGet package) on free loopback ports, killed when disposed.</summary>
internal sealed class AspireDashboard : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private AspireDashboard(Process process, Uri frontend, Uri otlpHttp)
    {
        _process = process;
        Frontend = frontend;
        OtlpHttp = otlpHttp;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _output.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _output.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The UI and the telemetry read API (<c>/api/telemetry/...</c>).</summary>
    public Uri Frontend { get; }

    /// <summary>The OTLP/HTTP receiver, the value for <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> with <c>http/protobuf</c>.</summary>
    public Uri OtlpHttp { get; }

    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>Path of the self-contained executable restored by the test project's <c>PackageDownload</c>.</summary>
    public static string Executable { get; } =
        typeof(AspireDashboard).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "AspireDashboardExecutable").Value!;

    public static async Task<AspireDashboard> StartAsync(TimeSpan timeout)
    {
        if (!File.Exists(Executable))
        {
            throw new FileNotFoundException($"{Executable} is missing: restore Tests/ServiceDefaults.Tests (PackageDownload Aspire.Dashboard.Sdk.linux-x64).", Executable);
        }
        var frontend = new Uri($"http://127.0.0.1:{FreePort.Next()}/");
        var otlp = new Uri($"http://127.0.0.1:{FreePort.Next()}/");
        var psi = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Executable)!,
        };
        psi.Environment["ASPNETCORE_URLS"] = frontend.ToString().TrimEnd('/');
        psi.Environment["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = otlp.ToString().TrimEnd('/');
        // Local lab only: no browser token, no OTLP API key, and the read API open without a key.
        psi.Environment["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true";
        psi.Environment["DOTNET_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true";
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + Executable);
        var dashboard = new AspireDashboard(process, frontend, otlp);
        try
        {
            await dashboard.WaitReadyAsync(timeout);
        }
        catch
        {
            await dashboard.DisposeAsync();
            throw;
        }
        return dashboard;
    }

    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"dashboard exited with {_process.ExitCode}:\n{Output}");
            }
            try
            {
                using var r = await http.GetAsync(new Uri(Frontend, "api/telemetry/resources"));
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"dashboard not ready after {timeout}:\n{Output}");
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
