namespace Infrastructure.ServiceDefaults.Tests;

/// <summary>
/// Tests that depend on process-wide state — <see cref="Console.Out"/>, or which activity listeners exist (every
/// in-process tracer provider votes on sampling) — run alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCollection
{
    public const string Name = "process-wide";
}
