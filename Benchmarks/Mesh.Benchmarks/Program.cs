using System.Globalization;
using Infrastructure.Mesh.Benchmarks;

// Sidecar overhead at a fixed request rate: client → app directly against client → sidecar → (mTLS) → sidecar → app,
// interleaved round by round in one run, as the published mesh figures are measured (docs/Benchmarks.md, "Mesh").
//   dotnet run --project Benchmarks/Mesh.Benchmarks -c Release -- [--rate 1000] [--seconds 20] [--rounds 3] [--body 1024]
// The app is this program re-invoked as "echo <port>".
if (args.Length > 1 && args[0] == "echo")
{
    await EchoApp.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture));
    return 0;
}

var options = MeshBenchOptions.Parse(args);
if (options is null)
{
    Console.WriteLine(MeshBenchOptions.Usage);
    return 2;
}
return await MeshBench.RunAsync(options);
