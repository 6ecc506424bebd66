using System.Globalization;
using Infrastructure.Hosting.Processes;

namespace Infrastructure.Samples.Lab;

/// <summary>
/// <c>engines start|stop</c>: PostgreSQL and Redis as the lab starts them, left running in a folder for another program
/// (build.ps1's test target) and stopped later by that folder. <c>start</c> prints one <c>NAME=value</c> line per engine
/// (the variables the tests read) and the command that stops them.
/// </summary>
internal static class EnginesCommand
{
    public const string Usage = """
        Usage: dotnet run --project Samples/Lab -- engines start [--postgres] [--redis] [--max-connections N] --dir DIR
               dotnet run --project Samples/Lab -- engines stop --dir DIR
          start   starts the engines named (both when none is) on free 127.0.0.1 ports with their files in DIR, prints
                  INFRA_TEST_POSTGRES=<Npgsql connection string> and INFRA_TEST_REDIS=<host:port> and leaves them running;
                  an engine whose binaries are missing is reported and skipped
          stop    stops the engines started in DIR (DIR itself is left to the caller)
        """;

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        string? verb = args.Count > 0 ? args[0] : null;
        string? dir = null;
        bool postgres = false, redis = false;
        int? maxConnections = null;
        for (var i = 1; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--postgres": postgres = true; break;
                case "--redis": redis = true; break;
                case "--dir" when i + 1 < args.Count: dir = Path.GetFullPath(args[++i]); break;
                case "--max-connections" when i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n):
                    maxConnections = n;
                    i++;
                    break;
                default:
                    Console.Error.WriteLine($"engines: unknown or incomplete option '{args[i]}'");
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }
        if (verb is not ("start" or "stop") || dir is null)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        if (verb == "stop")
        {
            var stopped = await EngineSet.StopInFolderAsync(dir);
            Console.Error.WriteLine(stopped.Count == 0 ? $"engines: nothing running in {dir}" : $"engines: stopped {string.Join(" and ", stopped)}");
            return 0;
        }
        if (!postgres && !redis) { postgres = redis = true; }
        var engines = new EngineSet(dir);
        try
        {
            if (postgres)
            {
                var (pg, why) = await engines.StartPostgresAsync(maxConnections);
                Report("PostgreSQL", "INFRA_TEST_POSTGRES", pg?.ConnectionString, pg is null ? null : $"127.0.0.1:{pg.Port}", why);
            }
            if (redis)
            {
                var (r, why) = await engines.StartRedisAsync();
                Report("Redis", "INFRA_TEST_REDIS", r?.Address, r?.Address, why);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            Console.Error.WriteLine($"engines: {e.Message}");
            // Stops whatever did start.
            await engines.DisposeAsync();
            return 1;
        }
        engines.Detach();
        var lab = typeof(EnginesCommand).Assembly.Location;
        Console.WriteLine($"# stop: dotnet {lab} engines stop --dir {dir}");
        return 0;
    }

    private static void Report(string engine, string variable, string? value, string? address, string? why)
    {
        if (value is null)
        {
            Console.Error.WriteLine($"engines: {engine} not started: {why}");
            return;
        }
        Console.Error.WriteLine($"engines: {engine} on {address}");
        Console.WriteLine($"{variable}={value}");
    }
}
