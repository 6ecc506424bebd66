using System.Collections.Concurrent;
using Infrastructure.Mesh.ControlPlane.Config;

namespace Infrastructure.Mesh.ControlPlane.Push;

/// <summary>The connected proxies, for pushes on a change and for <c>/debug/syncz</c>.</summary>
internal sealed class ProxyRegistry
{
    private readonly ConcurrentDictionary<string, ProxyConnection> _connections = new(StringComparer.Ordinal);

    public ProxyRegistry(ResourceStore store)
    {
        // Every change wakes every stream's writer, which pushes the types whose content for that proxy changed.
        store.Changed += _ => WakeAll();
    }

    public IEnumerable<ProxyConnection> Connections => _connections.Values;

    public int Count => _connections.Count;

    public void Add(ProxyConnection connection) => _connections[connection.ConnectionId] = connection;

    public void Remove(ProxyConnection connection) => _connections.TryRemove(connection.ConnectionId, out _);

    public void WakeAll()
    {
        foreach (var connection in _connections.Values)
        {
            connection.Signal();
        }
    }
}
