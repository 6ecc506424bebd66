using Infrastructure.Hosting.Processes;

namespace Infrastructure.Testing;

/// <summary>Hands out free loopback ports.</summary>
public static class FreePort
{
    /// <summary>A port that was free on 127.0.0.1 a moment ago.</summary>
    public static int Next() => LoopbackPort.Next();
}
