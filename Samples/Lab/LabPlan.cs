namespace Infrastructure.Samples.Lab;

/// <summary>One process to start: a component instance on a port.</summary>
internal sealed record LabInstance(Component Component, int Index, int Port)
{
    public string Label => Component.Name + (Index > 0 || Component.Name is "catalog" || Component.DefaultScale > 1 ? $"#{Index + 1}" : "");
    public Uri BaseUri => new($"http://127.0.0.1:{Port}/");
}

/// <summary>What the lab will start, in dependency order, with its ports and engines.</summary>
internal sealed class LabPlan
{
    public LabPlan(IReadOnlyList<Component> catalogue, LabOptions options)
    {
        Options = options;
        var byName = catalogue.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var name in options.Only ?? [])
        {
            if (!byName.ContainsKey(name) && name != "dashboard") { throw new ArgumentException($"--only: unknown component '{name}' (known: {string.Join(", ", byName.Keys)}, dashboard)"); }
        }
        foreach (var name in options.Scale.Keys)
        {
            if (!byName.ContainsKey(name)) { throw new ArgumentException($"unknown component '{name}' (known: {string.Join(", ", byName.Keys)})"); }
        }
        foreach (var name in options.Ports.Keys)
        {
            if (!byName.ContainsKey(name) && !Monitoring.ToolNames.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"unknown component '{name}' (known: {string.Join(", ", byName.Keys.Concat(Monitoring.ToolNames))})");
            }
        }
        // The mesh's components come with --mesh, whatever --only says; the others as --only says.
        var selected = catalogue.Where(c => c.MeshOnly ? options.Mesh : options.Only is null || options.Only.Contains(c.Name)).ToList();
        Components = TopologicalOrder(selected, byName);
        var instances = new List<LabInstance>();
        foreach (var c in Components)
        {
            var count = options.Scale.GetValueOrDefault(c.Name, c.Name == "catalog" ? 2 : c.DefaultScale);
            var first = options.Ports.GetValueOrDefault(c.Name, c.Port);
            for (var i = 0; i < count; i++) { instances.Add(new LabInstance(c, i, first + i)); }
        }
        Instances = instances;
    }

    public LabOptions Options { get; }

    /// <summary>With <c>--mesh</c>: the folder of Istio YAML the control plane watches, <c>mesh-config</c> in the current folder, for the student to edit.</summary>
    public string? MeshConfigFolder => Options.Mesh ? Path.GetFullPath("mesh-config") : null;

    /// <summary>With <c>--mesh</c>: where the mesh CA keeps its root, reused across lab runs (outside the watched folder).</summary>
    public string? MeshCaFolder => Options.Mesh ? Path.Combine(Path.GetTempPath(), "infrastructure-lab", "mesh-ca") : null;
    public IReadOnlyList<Component> Components { get; }
    public IReadOnlyList<LabInstance> Instances { get; }

    /// <summary>Connection string of the PostgreSQL the lab started, when <c>--with-postgres</c> and it could.</summary>
    public string? Postgres { get; set; }

    /// <summary>Address of the Redis the lab started, when <c>--with-redis</c> and it could.</summary>
    public string? Redis { get; set; }

    /// <summary>The Aspire Dashboard runs unless <c>--no-dashboard</c>, or <c>--only</c> leaves it out.</summary>
    public bool RunsDashboard => !Options.NoDashboard && (Options.Only is null || Options.Only.Contains("dashboard"));

    public Uri DashboardUri => ToolUri("dashboard", Monitoring.DefaultDashboardPort);
    public Uri DashboardOtlpUri => ToolUri("dashboard-otlp", Monitoring.DefaultDashboardOtlpPort);
    public Uri PrometheusUri => ToolUri("prometheus", Monitoring.DefaultPrometheusPort);

    /// <summary>The OTLP/HTTP receiver every process exports to, once the dashboard was started.</summary>
    public Uri? Otlp { get; set; }

    /// <summary>Why the dashboard is not there, when it should have been.</summary>
    public string? DashboardProblem { get; set; }

    /// <summary>Set once Prometheus answers; why it does not otherwise.</summary>
    public bool PrometheusRunning { get; set; }
    public string? PrometheusProblem { get; set; }

    private Uri ToolUri(string name, int port) => new($"http://127.0.0.1:{Options.Ports.GetValueOrDefault(name, port)}/");

    public bool Has(string name) => Components.Any(c => c.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    public Uri UrlOf(string name)
    {
        var i = Instances.FirstOrDefault(x => x.Component.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
        // A component left out by --only still has its well-known address (the student may run it by hand).
        return i?.BaseUri ?? new Uri($"http://127.0.0.1:{Options.Ports.GetValueOrDefault(name, LabCatalogue.DefaultPort(name))}/");
    }

    private static List<Component> TopologicalOrder(List<Component> selected, Dictionary<string, Component> byName)
    {
        var order = new List<Component>();
        var state = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        void Visit(Component c)
        {
            switch (state.GetValueOrDefault(c.Name))
            {
                case 2: return;
                case 1: throw new InvalidOperationException($"dependency cycle at {c.Name}");
            }
            state[c.Name] = 1;
            foreach (var d in c.DependsOn)
            {
                var dep = byName[d];
                if (selected.Contains(dep)) { Visit(dep); }
            }
            state[c.Name] = 2;
            order.Add(c);
        }
        foreach (var c in selected) { Visit(c); }
        return order;
    }
}
