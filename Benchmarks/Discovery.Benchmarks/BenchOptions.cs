using System.Globalization;

namespace Infrastructure.Discovery.Benchmarks;

/// <summary>Command-line settings of the registry load harness.</summary>
internal sealed class BenchOptions
{
    public Uri? Url { get; private set; }
    public int? Pid { get; private set; }
    public int Instances { get; private set; } = 100_000;
    public int Apps { get; private set; } = 100;
    public int RegisterConcurrency { get; private set; } = 64;
    public int Seconds { get; private set; } = 30;
    public int RenewsPerSecond { get; private set; } = 10_000;
    public int RenewConcurrency { get; private set; } = 128;
    public int DeltaClients { get; private set; } = 20;
    public int DeltaIntervalMs { get; private set; } = 500;
    public int FullFetchers { get; private set; } = 1;
    public int FullIntervalMs { get; private set; } = 10_000;
    public int Burst { get; private set; }
    public string? ServerDll { get; private set; }
    public List<string> ServerArgs { get; } = [];
    public bool Help { get; private set; }

    public const string Usage = """
        Registry load harness: N instances register, then renew at a target rate while clients poll deltas.

          dotnet run --project Benchmarks/Discovery.Benchmarks -c Release -- [options]

          --url <url>                  use a running server (e.g. http://127.0.0.1:8761) instead of starting one
          --pid <pid>                  with --url: the server's process id, to report its memory
          --server-dll <path>          server to start (default Discovery.Server/bin/Release/net10.0/Discovery.Server.dll)
          --server-arg <arg>           extra argument for the started server (repeatable)
          --instances <n>              instances to register (100000)
          --apps <n>                   applications they are spread over (100)
          --register-concurrency <n>   registrations in flight (64)
          --seconds <n>                length of the renew + fetch phase (30)
          --renews-per-second <n>      target renew rate (10000)
          --renew-concurrency <n>      renews in flight at most (128)
          --delta-clients <n>          clients polling /eureka/apps/delta (20)
          --delta-interval-ms <n>      each delta client's polling period (500)
          --full-fetchers <n>          clients fetching /eureka/apps (1)
          --full-interval-ms <n>       each full fetcher's period (10000)
          --burst <n>                  further instances registering 2 s into the load phase, while renews go on (0)
        """;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            int Int() => int.TryParse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 0
                ? v : throw new ArgumentException($"{name} needs a non-negative integer");
            switch (name)
            {
                case "--url": o.Url = new Uri(Next().TrimEnd('/') + "/"); break;
                case "--pid": o.Pid = Int(); break;
                case "--server-dll": o.ServerDll = Next(); break;
                case "--server-arg": o.ServerArgs.Add(Next()); break;
                case "--instances": o.Instances = Int(); break;
                case "--apps": o.Apps = Math.Max(1, Int()); break;
                case "--register-concurrency": o.RegisterConcurrency = Math.Max(1, Int()); break;
                case "--seconds": o.Seconds = Int(); break;
                case "--renews-per-second": o.RenewsPerSecond = Int(); break;
                case "--renew-concurrency": o.RenewConcurrency = Math.Max(1, Int()); break;
                case "--delta-clients": o.DeltaClients = Int(); break;
                case "--delta-interval-ms": o.DeltaIntervalMs = Math.Max(1, Int()); break;
                case "--full-fetchers": o.FullFetchers = Int(); break;
                case "--full-interval-ms": o.FullIntervalMs = Math.Max(1, Int()); break;
                case "--burst": o.Burst = Int(); break;
                case "-h" or "--help": o.Help = true; break;
                default: throw new ArgumentException($"unknown option {name}");
            }
        }
        if (o.Instances == 0)
        {
            throw new ArgumentException("--instances must be at least 1");
        }
        return o;
    }
}
