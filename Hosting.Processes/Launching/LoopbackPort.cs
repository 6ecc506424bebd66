using System.Net;
using System.Net.Sockets;

namespace Infrastructure.Hosting.Processes;

/// <summary>Hands out free ports on 127.0.0.1.</summary>
public static class LoopbackPort
{
    /// <summary>A port that was free on 127.0.0.1 a moment ago.</summary>
    public static int Next()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
