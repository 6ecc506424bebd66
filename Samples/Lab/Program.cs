using System.Diagnostics;
using System.Runtime.InteropServices;
using Infrastructure.Hosting.Processes;
using Infrastructure.Samples.Lab;

if (args is ["engines", .. var engineArgs])
{
    return await EnginesCommand.RunAsync(engineArgs);
}

LabOptions options;
LabPlan plan;
try
{
    options = LabOptions.Parse(args);
    if (options.Help)
    {
        Console.WriteLine(LabOptions.Usage);
        return 0;
    }
    plan = new LabPlan(LabCatalogue.All, options);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine("lab: " + e.Message);
    Console.Error.WriteLine(LabOptions.Usage);
    return 2;
}

using var stopping = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stopping.Cancel(); };
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stopping.Cancel(); });
using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; stopping.Cancel(); });

var root = RepositoryLayout.FindRoot();
await using var engines = new EngineSet();
await using var runner = new LabRunner(plan, root, options.NoColor);
try
{
    // First, so it warms up while the engines and servers start; every process exports to it.
    runner.StartDashboard();
    if (options.WithPostgres)
    {
        var (pg, why) = await engines.StartPostgresAsync();
        var cs = plan.Postgres = pg?.ConnectionString;
        Console.WriteLine(cs is null ? $"lab: --with-postgres: {why}; every server keeps its embedded store." : $"lab: PostgreSQL on {cs}");
    }
    if (options.WithRedis)
    {
        var (redis, why) = await engines.StartRedisAsync();
        var address = plan.Redis = redis?.Address;
        Console.WriteLine(address is null ? $"lab: --with-redis: {why}; sessions and rate limits stay in process memory." : $"lab: Redis on {address}");
    }
    var started = Stopwatch.StartNew();
    if (!await runner.StartAllAsync(stopping.Token))
    {
        return stopping.IsCancellationRequested ? 130 : 1;
    }
    await runner.WaitDashboardAsync(stopping.Token);
    if (options.WithPrometheus)
    {
        await runner.StartPrometheusAsync(engines.Subfolder("prometheus"), stopping.Token);
    }
    runner.PrintTable(started.Elapsed);
    await runner.WatchAsync(stopping.Token);
    return 0;
}
finally
{
    Console.WriteLine("lab: stopping everything...");
    await runner.StopAllAsync();
    Console.WriteLine("lab: stopped.");
}
