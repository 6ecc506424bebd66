using System.Globalization;

namespace Infrastructure.Soak;

/// <summary>Command-line settings of the soak harness.</summary>
internal sealed class SoakOptions
{
    public TimeSpan Duration { get; set; } = TimeSpan.FromMinutes(10);
    public double Rate { get; set; } = 50;
    public TimeSpan RampUp { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan SampleEvery { get; set; } = TimeSpan.FromSeconds(10);
    public TimeSpan LoginEvery { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan RefreshEvery { get; set; } = TimeSpan.FromSeconds(5);
    public TimeSpan ChurnEvery { get; set; } = TimeSpan.FromSeconds(5);
    public bool Attach { get; set; }
    public List<string> LabArgs { get; } = [];
    public int MaxInFlight { get; set; } = 256;
    public double MaxErrorPercent { get; set; } = 0.1;
    public double MaxHeapSlopeMb { get; set; } = 1;
    public double OrderBytes { get; set; } = 2048;
    public double? MaxRssSlopeMb { get; set; }
    public string? CsvPath { get; set; }
    public double MaxHandleSlope { get; set; } = 5;
    public double MaxThreadSlope { get; set; } = 2;
    public TimeSpan MinJudgedWindow { get; set; } = TimeSpan.FromMinutes(10);
    public TimeSpan ReadyTimeout { get; set; } = TimeSpan.FromMinutes(8);
    public bool Help { get; private set; }

    public const string Usage = """
        Soak harness: starts the lab (or uses a running one), drives a fixed request rate through it for a while, samples
        every lab process's memory, handles and threads, and reports per process first / last / max and the growth per
        minute over the second half of the run.

          dotnet run --project Benchmarks/Soak -c Release -- [options] [-- lab options]
          dotnet pwsh ./build.ps1 soak [minutes] [options]   (lab options as --lab-arg: pwsh -File refuses a bare `--`)

          --minutes <m>            length of the load (10; fractions allowed)
          --seconds <s>            the same in seconds
          --rate <n>               requests per second, open loop (50): token, catalog GET and order POST in turn
          --ramp-seconds <s>       the rate rises from 0 to --rate over the first s seconds (30; counted like the rest):
                                   freshly started servers still compile their code, and on a busy machine a cold
                                   burst at full rate times out where the same rate a minute later does not
          --sample-seconds <s>     sampling period of RSS, open fds, threads and each .NET process's heap after GC (10)
          --csv <file>             write every sample to a CSV file as the run goes (time, process, RSS, heap after GC,
                                   fds, threads, gen2 GCs, orders placed), to plot a run
          --login-seconds <s>      a Web.Bff login/logout every s seconds (5; 0 = none)
          --refresh-seconds <s>    a Config.Server POST /monitor every s seconds (5; 0 = none)
          --churn-seconds <s>      a fake instance registers, renews and cancels every s seconds (5; 0 = none)
          --attach                 use a running lab (at the ports its options name) instead of starting one
          --lab-arg <arg>          one lab option (repeatable; the same as after `--`, which build.ps1 cannot pass on)
          --max-in-flight <n>      requests in flight at most; a due request past it counts as an error (256)
          --max-error-percent <p>  errors tolerated, in % of all requests (0.1)
          --max-heap-slope <mb>    growth threshold of the GC heap after collection, MB per minute over the second half (1)
          --order-bytes <b>        Order.Service's heap may grow this much more per order placed: it keeps every order (2048)
          --max-rss-slope <mb>     also judge RSS, MB per minute over the second half (not judged unless given: the GC
                                   sizes its heaps for a long while, so RSS alone gives false alarms)
          --max-handle-slope <n>   open file descriptors per minute (5)
          --max-thread-slope <n>   threads per minute (2)
          --min-judged-minutes <m> growth is judged only when the second half lasts this long (10): the heap after a
                                   lesser collection still holds what it promoted since the last full one, dead or
                                   not, and full collections come minutes apart, so that figure moves in steps of
                                   a few MB that a short half would read as growth
          --ready-timeout <s>      how long the lab may take to start (480)

        Lab options after `--` are passed to the lab (e.g. -- --with-redis --scale catalog=3). Started by the harness,
        the lab always gets --no-dashboard, and every component without a --port of yours gets a free port (not the
        defaults, so a lab already running on this machine is left alone). With --attach they only say where the lab is.
        Growth is judged on the second half of the run, by the least-squares slope of each .NET process's GC heap right
        after its last collection (its /actuator/prometheus), open fds and threads; RSS is reported beside them.
        Exit code 0 when the errors stay within the tolerance, no process exited, every .NET process's heap was read and
        no slope passed its threshold.
        """;

    public static SoakOptions Parse(IReadOnlyList<string> args)
    {
        var o = new SoakOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name == "--")
            {
                o.LabArgs.AddRange(args.Skip(i + 1));
                break;
            }
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value");
            double Number()
            {
                var text = Next();
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0 && double.IsFinite(v)
                    ? v : throw new ArgumentException($"{name} needs a non-negative number, got '{text}'");
            }
            TimeSpan Seconds() => TimeSpan.FromSeconds(Number());
            switch (name)
            {
                case "--minutes": o.Duration = TimeSpan.FromMinutes(Number()); break;
                case "--seconds": o.Duration = Seconds(); break;
                case "--rate": o.Rate = Number(); break;
                case "--ramp-seconds": o.RampUp = Seconds(); break;
                case "--sample-seconds": o.SampleEvery = Seconds(); break;
                case "--login-seconds": o.LoginEvery = Seconds(); break;
                case "--refresh-seconds": o.RefreshEvery = Seconds(); break;
                case "--churn-seconds": o.ChurnEvery = Seconds(); break;
                case "--attach": o.Attach = true; break;
                case "--lab-arg": o.LabArgs.Add(Next()); break;
                case "--max-in-flight": o.MaxInFlight = (int)Number(); break;
                case "--max-error-percent": o.MaxErrorPercent = Number(); break;
                case "--max-heap-slope": o.MaxHeapSlopeMb = Number(); break;
                case "--order-bytes": o.OrderBytes = Number(); break;
                case "--max-rss-slope": o.MaxRssSlopeMb = Number(); break;
                case "--csv": o.CsvPath = Next(); break;
                case "--max-handle-slope": o.MaxHandleSlope = Number(); break;
                case "--max-thread-slope": o.MaxThreadSlope = Number(); break;
                case "--min-judged-minutes": o.MinJudgedWindow = TimeSpan.FromMinutes(Number()); break;
                case "--ready-timeout": o.ReadyTimeout = Seconds(); break;
                case "-h" or "--help": o.Help = true; break;
                default: throw new ArgumentException($"unknown option {name}");
            }
        }
        if (o.Duration <= TimeSpan.Zero) { throw new ArgumentException("the run needs a length above 0"); }
        if (o.Rate <= 0) { throw new ArgumentException("--rate must be above 0"); }
        if (o.SampleEvery < TimeSpan.FromSeconds(1)) { throw new ArgumentException("--sample-seconds must be at least 1"); }
        if (o.MaxInFlight < 1) { throw new ArgumentException("--max-in-flight must be at least 1"); }
        return o;
    }
}
