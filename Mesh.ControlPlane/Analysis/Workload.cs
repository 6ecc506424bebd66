namespace Infrastructure.Mesh.ControlPlane.Analysis;

/// <summary>A registered instance as the analyzers see it: its app (lower-case) and its labels (metadata plus <c>app</c>).</summary>
internal sealed record Workload(string App, string InstanceId, IReadOnlyDictionary<string, string> Labels);
