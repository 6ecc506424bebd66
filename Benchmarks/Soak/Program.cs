using Infrastructure.Soak;

// Soak harness: the whole lab under a fixed request rate for minutes, every process's memory, open fds and threads
// sampled; prints a Markdown report and exits 1 on errors past the tolerance, a process that exited, or growth.
//   dotnet run --project Benchmarks/Soak -c Release -- [--minutes 10] [--rate 50] [...] [-- lab options]
SoakOptions options;
try
{
    options = SoakOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(SoakOptions.Usage);
    return 2;
}
if (options.Help)
{
    Console.WriteLine(SoakOptions.Usage);
    return 0;
}

using var stopping = new CancellationTokenSource();
// Ctrl+C ends the load early; the report covers what ran and the lab is stopped.
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stopping.Cancel();
};
SoakResult result;
try
{
    result = await SoakRun.RunAsync(options, Console.Out, stopping.Token);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine("lab options: " + ex.Message);
    return 2;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("soak: stopped before the load began.");
    return 130;
}
Console.WriteLine();
Console.WriteLine(result.Report());
return result.ExitCode;
