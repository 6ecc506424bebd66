namespace Infrastructure.Samples.Lab;

/// <summary>One kind of process the lab runs (a server or a sample service).</summary>
/// <param name="Name">Short name used on the command line and as the log prefix.</param>
/// <param name="Project">Project folder relative to the repository root.</param>
/// <param name="Port">Default first port; further instances take the next ports.</param>
/// <param name="DependsOn">Components that must be ready first.</param>
/// <param name="EurekaApp">The Eureka app name it registers as, when it registers; the lab waits until it is UP there.</param>
/// <param name="OpenPath">The page to open first, relative to the instance URL.</param>
/// <param name="Hint">What that page shows.</param>
internal sealed record Component(
    string Name,
    string Project,
    int Port,
    string[] DependsOn,
    string? EurekaApp,
    string OpenPath,
    string Hint)
{
    /// <summary>Further pages a student opens on each instance (path relative to the instance URL, and what it shows), listed under the first in the ready table.</summary>
    public IReadOnlyList<(string Path, string Hint)> MorePages { get; init; } = [];

    /// <summary>Extra environment for each instance, given the running plan.</summary>
    public Func<LabPlan, int, IDictionary<string, string>>? Environment { get; init; }

    /// <summary>Extra command-line arguments for each instance of a project, after <c>--urls</c>.</summary>
    public Func<LabPlan, LabInstance, IEnumerable<string>>? Arguments { get; init; }

    /// <summary>How many instances run unless <c>--scale</c> says otherwise.</summary>
    public int DefaultScale { get; init; } = 1;

    /// <summary>Part of the service-mesh lab: started only with <c>--mesh</c>.</summary>
    public bool MeshOnly { get; init; }

    /// <summary>A Bookinfo sample: its app runs behind its own Mesh.Sidecar instead of as a project with <c>--urls</c>.</summary>
    public MeshWorkload? Workload { get; init; }
}
