using Infrastructure.Testing;

namespace Infrastructure.Mesh.EndToEnd.Tests.Topology;

/// <summary>The folder of Istio YAML the control plane watches (<c>Mesh:ConfigPath</c>), edited as a user would.</summary>
internal sealed class MeshConfig
{
    private MeshConfig(string folder) => Folder = folder;

    /// <summary>The samples' configuration, <c>Samples/Mesh/config</c>.</summary>
    public static string SamplesFolder { get; } = Path.Combine(RepoPaths.Root, "Samples", "Mesh", "config");

    public string Folder { get; }

    /// <summary>A fresh copy of <see cref="SamplesFolder"/> at <paramref name="folder"/>.</summary>
    public static MeshConfig CopyOfSamples(string folder)
    {
        Directory.CreateDirectory(folder);
        var config = new MeshConfig(folder);
        config.Reset();
        return config;
    }

    /// <summary>Puts back the samples' files exactly, removing any other.</summary>
    public void Reset()
    {
        foreach (var f in Directory.GetFiles(Folder)) { File.Delete(f); }
        foreach (var f in Directory.GetFiles(SamplesFolder, "*.yaml")) { File.Copy(f, Path.Combine(Folder, Path.GetFileName(f))); }
    }

    /// <summary>Writes (replaces) one file, as an editor saving it: to a temp name first, then renamed over.</summary>
    public void Write(string fileName, string yaml)
    {
        var temp = Path.Combine(Folder, "." + fileName + ".tmp");
        File.WriteAllText(temp, yaml);
        File.Move(temp, Path.Combine(Folder, fileName), overwrite: true);
    }

    public void Delete(string fileName) => File.Delete(Path.Combine(Folder, fileName));

    /// <summary>A VirtualService sending reviews to v1 and v2 with these weights.</summary>
    public static string ReviewsSplit(int v1, int v2) => $"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: reviews
        spec:
          hosts:
          - reviews
          http:
          - route:
            - destination:
                host: reviews
                subset: v1
              weight: {v1}
            - destination:
                host: reviews
                subset: v2
              weight: {v2}
        """;

    /// <summary>A VirtualService that changes no traffic (its host is called by nobody), named so a test can tell when a write is in force.</summary>
    public static string Marker(string name) => $"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: {name}
        spec:
          hosts:
          - {name}
          http:
          - route:
            - destination:
                host: reviews
                subset: v1
        """;
}
