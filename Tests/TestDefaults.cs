using System.Runtime.CompilerServices;

namespace Infrastructure.Tests;

/// <summary>Settings every test assembly gives the servers it starts, in process or as child processes.</summary>
internal static class TestDefaults
{
    // Tests follow single requests through their traces, so every root trace is sampled; the servers' own default
    // (Tracing:SamplingProbability 0.1, Spring Boot's) would drop nine in ten. A test that is about sampling sets its own
    // value, which wins over this environment variable (in-memory and command-line settings come later).
#pragma warning disable CA2255 // a module initializer in a test assembly runs before any test: the point here
    [ModuleInitializer]
    internal static void SampleEveryTrace()
#pragma warning restore CA2255
    {
        if (Environment.GetEnvironmentVariable("Tracing__SamplingProbability") is null)
        {
            Environment.SetEnvironmentVariable("Tracing__SamplingProbability", "1");
        }
    }
}
