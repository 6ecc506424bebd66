using System.Globalization;

namespace Infrastructure.Mesh.Benchmarks;

/// <summary>The harness's command line.</summary>
internal sealed record MeshBenchOptions
{
    public const string Usage = """
        Mesh.Benchmarks: added latency, CPU and memory of two sidecars (mTLS on) at a fixed request rate.
          --rate N          requests per second, open loop (default 1000)
          --seconds N       measured seconds per phase (default 20)
          --warmup N        unmeasured seconds before each phase (default 3)
          --rounds N        direct/mesh pairs, interleaved (default 3)
          --body N          POST body bytes, echoed back (default 1024)
          --max-in-flight N requests outstanding at most; a request due beyond that counts as an error (default 512)
          --plaintext       mTLS off (PeerAuthentication DISABLE, DestinationRule tls DISABLE), for comparison
        """;

    public int Rate { get; init; } = 1000;

    public int Seconds { get; init; } = 20;

    public int Warmup { get; init; } = 3;

    public int Rounds { get; init; } = 3;

    public int Body { get; init; } = 1024;

    public int MaxInFlight { get; init; } = 512;

    public bool Plaintext { get; init; }

    public static MeshBenchOptions? Parse(string[] args)
    {
        var o = new MeshBenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            int Next() => i + 1 < args.Length && int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0
                ? v
                : throw new ArgumentException($"{args[i - 1]} needs a positive number");
            try
            {
                o = args[i] switch
                {
                    "--rate" => o with { Rate = Next() },
                    "--seconds" => o with { Seconds = Next() },
                    "--warmup" => o with { Warmup = Next() },
                    "--rounds" => o with { Rounds = Next() },
                    "--body" => o with { Body = Next() },
                    "--max-in-flight" => o with { MaxInFlight = Next() },
                    "--plaintext" => o with { Plaintext = true },
                    _ => null,
                };
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine(e.Message);
                return null;
            }
            if (o is null)
            {
                Console.Error.WriteLine($"unknown option {args[i]}");
                return null;
            }
        }
        return o;
    }
}
