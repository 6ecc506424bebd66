using Infrastructure.Mesh.Api.Resources;
using Infrastructure.Mesh.ControlPlane.Analysis;
using Infrastructure.Mesh.ControlPlane.Tests.Support;

namespace Infrastructure.Mesh.ControlPlane.Tests.Analysis;

public sealed class MeshAnalyzerTests
{
    private static IReadOnlyList<Finding> Analyze(string yaml, IReadOnlyList<Workload>? workloads = null)
    {
        var read = MeshResourceReader.Read(yaml, "mesh.yaml");
        Assert.Empty(read.Errors);
        return MeshAnalyzer.Analyze(read.Resources, [], workloads);
    }

    // A VirtualService "r" for host ratings with the given `http:` text.
    private static string Ratings(string http) =>
        $"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {{name: r}}\nspec:\n  hosts: [ratings]\n" + string.Join("\n", http.Split('\n').Select(l => "  " + l));

    private static Workload W(string app, string instance, params (string, string)[] metadata) =>
        new(app, instance, metadata.ToDictionary(m => m.Item1, m => m.Item2).Append(KeyValuePair.Create("app", app)).ToDictionary());

    [Fact]
    public void MissingSubset_IST0101_AsIstioctlPrintsIt()
    {
        var findings = Analyze(Yaml.ReviewsSplit(90, 10).Replace("subset: v2", "subset: v3", StringComparison.Ordinal));

        var finding = Assert.Single(findings);
        Assert.Equal("Error [IST0101] (VirtualService default/reviews mesh.yaml) Referenced host+subset in destinationrule not found: \"reviews+v3\"", finding.ToString());
    }

    [Fact]
    public void UnknownHost_IST0101_OnlyWithRegistry()
    {
        var yaml = Ratings("""
            http: [{route: [{destination: {host: ratingz}}]}]
            """);
        Assert.Empty(Analyze(yaml));
        var finding = Assert.Single(Analyze(yaml, [W("ratings", "r1")]));
        Assert.Equal("IST0101", finding.Code);
        Assert.Contains("Referenced host not found: \"ratingz\"", finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RuleAfterCatchAll_IST0130()
    {
        var yaml = Ratings("""
            http:
            - route: [{destination: {host: ratings}}]
            - match: [{uri: {prefix: /a}}]
              route: [{destination: {host: ratings}}]
            """);
        var finding = Assert.Single(Analyze(yaml));
        Assert.Equal("Warning [IST0130] (VirtualService default/r mesh.yaml) VirtualService rule #1 not used (only the last rule can have no matches).", finding.ToString());
    }

    [Fact]
    public void DuplicateMatch_IST0131_AndWholeRule_IST0130()
    {
        var yaml = Ratings("""
            http:
            - match: [{headers: {end-user: {exact: jason}}}]
              route: [{destination: {host: ratings}}]
            - match: [{headers: {end-user: {exact: jason}}}, {uri: {prefix: /b}}]
              route: [{destination: {host: ratings}}]
            - name: copy
              match: [{uri: {prefix: /b}}]
              route: [{destination: {host: ratings}}]
            - route: [{destination: {host: ratings}}]
            """);
        var findings = Analyze(yaml);

        Assert.Contains(findings, f => f.ToString() == "Info [IST0131] (VirtualService default/r mesh.yaml) VirtualService rule #1 match #0 is not used (duplicate/overlapping match in rule #0).");
        Assert.Contains(findings, f => f.Code == "IST0131" && f.Message.StartsWith("VirtualService rule \"copy\" match #0", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.ToString() == "Warning [IST0130] (VirtualService default/r mesh.yaml) VirtualService rule \"copy\" not used (all matches used by prior rules).");
        Assert.DoesNotContain(findings, f => f.Message.Contains("rule #3", StringComparison.Ordinal));
    }

    [Fact]
    public void SubsetWithoutInstances_IST0173()
    {
        var workloads = new[] { W("reviews", "r1", ("version", "v1")), W("ratings", "ra1", ("version", "v2")) };

        var finding = Assert.Single(Analyze(Yaml.ReviewsSplit(90, 10), workloads));

        Assert.Equal("Warning [IST0173] (DestinationRule default/reviews mesh.yaml) The Subset v2 defined in the DestinationRule does not select any pods.", finding.ToString());
        Assert.Empty(Analyze(Yaml.ReviewsSplit(90, 10), [.. workloads, W("reviews", "r2", ("version", "v2"))]));
    }

    [Fact]
    public void PolicySelectingNobody_IST0127()
    {
        var findings = Analyze(Yaml.Policies, [W("reviews", "r1")]);

        var finding = Assert.Single(findings);
        Assert.Equal("Warning [IST0127] (AuthorizationPolicy default/ratings-delete mesh.yaml) No matching workloads for this resource with the following labels: app=ratings", finding.ToString());
        Assert.Empty(Analyze(Yaml.Policies, [W("ratings", "ra1")]));
    }
}
