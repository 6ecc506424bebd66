using System.Globalization;

namespace Infrastructure.Samples.Lab;

/// <summary>Command-line options of the lab launcher.</summary>
internal sealed class LabOptions
{
    public Dictionary<string, int> Scale { get; } = new(StringComparer.OrdinalIgnoreCase);
    public Dictionary<string, int> Ports { get; } = new(StringComparer.OrdinalIgnoreCase);
    public HashSet<string>? Only { get; private set; }
    public bool WithPostgres { get; private set; }
    public bool WithRedis { get; private set; }
    public bool NoDashboard { get; private set; }
    public bool WithPrometheus { get; private set; }
    public bool Mesh { get; private set; }
    public Uri? Zipkin { get; private set; }
    public bool NoColor { get; private set; } = Environment.GetEnvironmentVariable("NO_COLOR") is { Length: > 0 };
    public TimeSpan ReadyTimeout { get; private set; } = TimeSpan.FromSeconds(90);
    public bool Help { get; private set; }

    public const string Usage = """
        Usage: dotnet run --project Samples/Lab -- [options]
          --scale NAME=N        run N instances of a component (e.g. --scale catalog=3)
          --only A,B            start only these components (and nothing else), e.g. --only discovery,gateway;
                                name 'dashboard' too to keep the Aspire Dashboard
          --port NAME=PORT      first port of a component (e.g. --port gateway=8081); also dashboard (UI, 18888),
                                dashboard-otlp (its OTLP/HTTP receiver, 18890) and prometheus (9090)
          --no-dashboard        do not start the Aspire Dashboard (logs stay on this console, no OTLP export)
          --with-postgres       start a real PostgreSQL (Debian binaries) in a temp dir for the servers that can use it
          --with-redis          start a real Redis (Debian binaries) in a temp dir for the servers that can use it
          --with-prometheus     start Debian's Prometheus scraping every process's /actuator/prometheus every 2 s
          --mesh                also start the service mesh: its control plane (config folder ./mesh-config, a fresh copy
                                of Samples/Mesh/config) and Bookinfo's productpage, reviews v1/v2 and ratings, each behind
                                its own Mesh.Sidecar; added even with --only
          --zipkin URL          also export every process's spans as Zipkin v2 JSON to URL
                                (e.g. http://127.0.0.1:9411/api/v2/spans)
          --ready-timeout SECS  how long to wait for each component to become ready (default 90)
          --no-color            plain log prefixes
        """;

    public static LabOptions Parse(IReadOnlyList<string> args)
    {
        var o = new LabOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{a} needs a value");
            switch (a)
            {
                case "--scale":
                    foreach (var (k, v) in Pairs(Next(), a)) { o.Scale[k] = v is >= 1 and <= 20 ? v : throw new ArgumentException($"--scale {k}={v}: between 1 and 20"); }
                    break;
                case "--port":
                    foreach (var (k, v) in Pairs(Next(), a)) { o.Ports[k] = v is > 0 and < 65536 ? v : throw new ArgumentException($"--port {k}={v}: not a port"); }
                    break;
                case "--only":
                    o.Only = new HashSet<string>(Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.OrdinalIgnoreCase);
                    break;
                case "--with-postgres": o.WithPostgres = true; break;
                case "--with-redis": o.WithRedis = true; break;
                case "--no-dashboard": o.NoDashboard = true; break;
                case "--with-prometheus": o.WithPrometheus = true; break;
                case "--mesh": o.Mesh = true; break;
                case "--zipkin":
                    var url = Next();
                    o.Zipkin = Uri.TryCreate(url, UriKind.Absolute, out var zipkin) && zipkin.Scheme is "http" or "https"
                        ? zipkin
                        : throw new ArgumentException($"--zipkin {url}: not an http(s) URL");
                    break;
                case "--no-color": o.NoColor = true; break;
                case "--ready-timeout": o.ReadyTimeout = TimeSpan.FromSeconds(int.Parse(Next(), CultureInfo.InvariantCulture)); break;
                case "-h" or "--help": o.Help = true; break;
                default: throw new ArgumentException($"unknown option '{a}'");
            }
        }
        return o;
    }

    private static IEnumerable<(string, int)> Pairs(string text, string option)
    {
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !int.TryParse(part.AsSpan(eq + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                throw new ArgumentException($"{option} takes NAME=NUMBER, got '{part}'");
            }
            yield return (part[..eq], n);
        }
    }
}
