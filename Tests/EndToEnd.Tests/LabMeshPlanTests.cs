using Infrastructure.Samples.Lab;

namespace Infrastructure.EndToEnd.Tests;

/// <summary>The lab's plan with and without <c>--mesh</c> (no processes started).</summary>
public sealed class LabMeshPlanTests
{
    private static readonly string[] MeshComponents = ["mesh-cp", "ratings", "reviews-v1", "reviews-v2", "productpage"];

    [Fact]
    public void WithoutMesh_NoMeshComponent()
    {
        var plan = new LabPlan(LabCatalogue.All, LabOptions.Parse([]));
        Assert.DoesNotContain(plan.Components, c => c.MeshOnly);
        Assert.Null(plan.MeshConfigFolder);
    }

    [Fact]
    public void Mesh_AddsControlPlaneAndBookinfo_AfterTheirDependencies_EvenWithOnly()
    {
        var plan = new LabPlan(LabCatalogue.All, LabOptions.Parse(["--only", "discovery", "--mesh"]));
        Assert.Equal(["discovery", .. MeshComponents], plan.Components.Select(c => c.Name));
        Assert.Equal(2, plan.Instances.Count(i => i.Component.Name == "ratings"));
        Assert.Equal(Path.GetFullPath("mesh-config"), plan.MeshConfigFolder);
    }

    [Fact]
    public void Mesh_EveryPortOfEveryProcessAndSidecar_Distinct()
    {
        var plan = new LabPlan(LabCatalogue.All, LabOptions.Parse(["--mesh", "--scale", "reviews-v2=2"]));
        var ports = new List<int>();
        foreach (var i in plan.Instances)
        {
            ports.Add(i.Port);
            if (i.Component.Workload is { } w) { ports.AddRange([w.AdminPort(i), w.OutboundPort(i), w.InboundPort(i)]); }
        }
        ports.AddRange([plan.DashboardUri.Port, plan.DashboardOtlpUri.Port, plan.PrometheusUri.Port]);
        Assert.Equal(ports.Count, ports.Distinct().Count());
    }

    [Fact]
    public void Mesh_SidecarCommandLine_AsCommonSays()
    {
        var plan = new LabPlan(LabCatalogue.All, LabOptions.Parse(["--only", "discovery", "--mesh"]));
        var reviews = plan.Instances.Single(i => i.Component.Name == "reviews-v2");
        var args = reviews.Component.Workload!.SidecarArguments(plan, reviews, "/repo").ToList();
        Assert.Equal(
            ["--app-name", "reviews", "--app-port", "9280", "--metadata", "version=v2", "--inbound-port", "15306", "--outbound-port", "15301",
             "--admin-port", "15300", "--control-plane", "http://127.0.0.1:15010", "--app-health-path", "/health", "--",
             "node", Path.Combine("/repo", "Samples", "Mesh", "reviews", "reviews.js"), "9280", "v2"],
            args);
    }
}
