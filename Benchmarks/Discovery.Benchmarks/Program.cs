using System.Globalization;
using System.Text;
using Infrastructure.Discovery.Benchmarks;
using Infrastructure.Hosting.Processes;

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}
if (options.Help)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

using var http = RegistryLoad.CreateHttpClient(options);
using var server = options.Url is null ? ServerLauncher.Start(options.ServerDll, options.ServerArgs) : null;
var baseUri = options.Url ?? server!.BaseUri;
var pid = server?.Pid ?? options.Pid;
try
{
    await Readiness.WaitForUrlAsync(new Uri(baseUri, "eureka/apps"), TimeSpan.FromSeconds(60), r => r.StatusCode == System.Net.HttpStatusCode.OK,
        server?.Process, TimeSpan.FromMilliseconds(200));
    var load = new RegistryLoad(options, http, baseUri, pid);
    await load.RunAsync();
    Console.WriteLine();
    Console.WriteLine(Report(options, load, baseUri, pid));
    return load.Errors.Count == 0 ? 0 : 1;
}
catch (Exception ex) when (server is not null)
{
    Console.Error.WriteLine($"benchmark failed: {ex.Message}\nlast server output:\n{server.Tail}");
    return 1;
}

static string Report(BenchOptions o, RegistryLoad l, Uri baseUri, int? pid)
{
    static string Ms(double v) => double.IsNaN(v) ? "n/a" : v.ToString(v < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + " ms";
    static string Mb(long? v) => v is null ? "n/a" : (v.Value / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB";
    static string N(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
    var sb = new StringBuilder();
    sb.AppendLine(CultureInfo.InvariantCulture, $"Registry load: {N(o.Instances)} instances / {o.Apps} apps, {o.Seconds} s at {N(o.RenewsPerSecond)} renews/s target, {o.DeltaClients} delta clients every {o.DeltaIntervalMs} ms, {o.FullFetchers} full fetchers every {o.FullIntervalMs} ms; server {baseUri} (pid {pid?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}), {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    sb.AppendLine();
    sb.AppendLine("| metric | value |");
    sb.AppendLine("|---|---|");
    sb.AppendLine(CultureInfo.InvariantCulture, $"| registration | {N(o.Instances)} in {l.RegistrationTime.TotalSeconds:0.0} s = {N(o.Instances / l.RegistrationTime.TotalSeconds)}/s ({o.RegisterConcurrency} in flight) |");
    sb.AppendLine(CultureInfo.InvariantCulture, $"| instances listed by GET /eureka/apps afterwards | {(l.RegistryCount is { } rc ? N(rc) : "n/a")} |");
    sb.AppendLine(CultureInfo.InvariantCulture, $"| register p50 / p99 | {Ms(l.Register.Percentile(0.5))} / {Ms(l.Register.Percentile(0.99))} |");
    sb.AppendLine(CultureInfo.InvariantCulture, $"| server RSS before / after registration | {Mb(l.RssBefore)} / {Mb(l.RssAfterRegistration)} |");
    var perInstance = l.RssBefore is { } b && l.RssAfterRegistration is { } a ? N((double)(a - b) / o.Instances) + " bytes" : "n/a";
    sb.AppendLine(CultureInfo.InvariantCulture, $"| memory per instance (RSS delta / N) | {perInstance} |");
    if (l.BurstTime is { } burst)
    {
        sb.AppendLine(CultureInfo.InvariantCulture, $"| burst during the load phase | {N(o.Burst)} registrations in {burst.TotalSeconds:0.0} s, from 2 s in |");
    }
    sb.AppendLine(CultureInfo.InvariantCulture, $"| renews: target / achieved | {N(o.RenewsPerSecond)}/s / {N(l.RenewsInWindow / Math.Max(1.0, o.Seconds))}/s ({N(l.RenewsInWindow)} answered within {o.Seconds} s; {N(l.RenewsDone)} in all after {l.LoadTime.TotalSeconds:0.0} s) |");
    sb.AppendLine(CultureInfo.InvariantCulture, $"| renew p50 / p99 / max | {Ms(l.Renew.Percentile(0.5))} / {Ms(l.Renew.Percentile(0.99))} / {Ms(l.Renew.Max)} |");
    var deltaAvg = l.Delta.Count == 0 ? 0 : l.DeltaBytes / l.Delta.Count;
    sb.AppendLine(CultureInfo.InvariantCulture, $"| delta fetches (avg size) | {N(l.Delta.Count)} ({N(deltaAvg)} bytes) |");
    sb.AppendLine(CultureInfo.InvariantCulture, $"| delta fetch p50 / p99 / max | {Ms(l.Delta.Percentile(0.5))} / {Ms(l.Delta.Percentile(0.99))} / {Ms(l.Delta.Max)} |");
    var fullAvg = l.Full.Count == 0 ? 0 : l.FullBytes / l.Full.Count;
    sb.AppendLine(CultureInfo.InvariantCulture, $"| full fetches (avg size) | {N(l.Full.Count)} ({N(fullAvg)} bytes) |");
    sb.AppendLine(CultureInfo.InvariantCulture, $"| full fetch p50 / p99 | {Ms(l.Full.Percentile(0.5))} / {Ms(l.Full.Percentile(0.99))} |");
    var cpu = l.ServerCpuDuringLoad is { } c && l.LoadTime > TimeSpan.Zero ? (c / l.LoadTime).ToString("0.00", CultureInfo.InvariantCulture) + " cores" : "n/a";
    sb.AppendLine(CultureInfo.InvariantCulture, $"| server CPU during the renew phase | {cpu} |");
    sb.AppendLine(CultureInfo.InvariantCulture, $"| server RSS after the run / peak | {Mb(l.RssAfterLoad)} / {Mb(l.PeakRss)} |");
    var errors = l.Errors.Count == 0 ? "0" : $"{N(l.Errors.Values.Sum())}: " + string.Join(", ", l.Errors.OrderByDescending(e => e.Value).Select(e => $"{e.Key} ×{N(e.Value)}"));
    sb.AppendLine(CultureInfo.InvariantCulture, $"| errors | {errors} |");
    return sb.ToString();
}
