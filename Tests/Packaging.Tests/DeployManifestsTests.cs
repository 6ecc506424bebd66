using System.Globalization;
using System.Text.RegularExpressions;
using Infrastructure.ServiceDefaults.Configuration;
using Infrastructure.Testing;
using YamlDotNet.RepresentationModel;

namespace Infrastructure.Packaging.Tests;

/// <summary>
/// deploy/k8s and deploy/systemd checked without a cluster or systemd: every manifest parses and has the fields the API
/// server requires, selectors and ports line up, every setting is one the servers read, and each server's unit and
/// Deployment listen on the port its Program.cs defaults to.
/// </summary>
public sealed partial class DeployManifestsTests
{
    private static readonly string K8s = Path.Combine(RepoPaths.Root, "deploy", "k8s");

    // The configuration roots the servers bind (ServiceDefaults' and each server's sections).
    private static readonly string[] KnownRoots = ["Eureka", "Spring", "Gateway", "ConfigServer", "Auth", "Logging", "Tracing", "Metrics", "Shutdown", "Serilog"];

    public static TheoryData<string, string, string> Servers => new()
    {
        { "Discovery.Server", "discovery-server", "discovery" },
        { "Gateway", "gateway", "gateway" },
        { "Config.Server", "config-server", "config" },
        { "Auth.Server", "auth-server", "auth" },
    };

    [Fact]
    public void Kubernetes_EveryDocument_ParsesWithApiVersionKindAndAValidName()
    {
        var docs = Documents();
        Assert.NotEmpty(docs);
        foreach (var (file, doc) in docs)
        {
            var kind = Scalar(doc, "kind");
            var expectedApi = kind switch
            {
                "Deployment" => "apps/v1",
                "Service" or "ConfigMap" or "PersistentVolumeClaim" or "Secret" => "v1",
                _ => throw new Xunit.Sdk.XunitException($"{file}: unexpected kind {kind}"),
            };
            Assert.Equal(expectedApi, Scalar(doc, "apiVersion"));
            Assert.Matches(DnsLabel(), Scalar(doc, "metadata", "name"));
        }
    }

    [Fact]
    public void Kubernetes_Deployments_SelectorsMatchPodLabelsAndContainersAreComplete()
    {
        var docs = Documents();
        var names = docs.Select(d => (Scalar(d.Doc, "kind"), Scalar(d.Doc, "metadata", "name"))).ToHashSet();
        foreach (var (file, deployment) in docs.Where(d => Scalar(d.Doc, "kind") == "Deployment"))
        {
            var podLabels = Labels(Map(deployment, "spec", "template", "metadata", "labels"));
            var selector = Labels(Map(deployment, "spec", "selector", "matchLabels"));
            Assert.NotEmpty(selector);
            Assert.All(selector, kv => Assert.Equal(kv.Value, podLabels.GetValueOrDefault(kv.Key)));

            var pod = Map(deployment, "spec", "template", "spec");
            var volumes = Seq(pod, "volumes").Select(v => Scalar(v, "name")).ToHashSet();
            foreach (var volume in Seq(pod, "volumes"))
            {
                var m = (YamlMappingNode)volume;
                if (Has(m, "configMap")) { Assert.Contains(("ConfigMap", Scalar(m, "configMap", "name")), names); }
                if (Has(m, "persistentVolumeClaim")) { Assert.Contains(("PersistentVolumeClaim", Scalar(m, "persistentVolumeClaim", "claimName")), names); }
            }
            var containers = Seq(pod, "containers");
            Assert.NotEmpty(containers);
            foreach (var container in containers)
            {
                Assert.Matches(DnsLabel(), Scalar(container, "name"));
                Assert.False(string.IsNullOrWhiteSpace(Scalar(container, "image")), file + ": a container without image");
                var ports = Ports(container);
                Assert.NotEmpty(ports);
                foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
                {
                    Assert.StartsWith("/actuator/health/", Scalar(container, probe, "httpGet", "path"), StringComparison.Ordinal);
                    Assert.Contains(Scalar(container, probe, "httpGet", "port"), ports.Keys.Concat(ports.Values.Select(p => p.ToString(CultureInfo.InvariantCulture))));
                }
                var defined = new HashSet<string>();
                foreach (var env in Seq(container, "env"))
                {
                    var m = (YamlMappingNode)env;
                    var name = Scalar(m, "name");
                    Assert.True(Has(m, "value") ^ Has(m, "valueFrom"), $"{file}: {name} needs exactly one of value and valueFrom");
                    // Kubernetes expands $(VAR) only for variables defined earlier in the list.
                    if (Has(m, "value"))
                    {
                        foreach (Match r in VariableReference().Matches(Scalar(m, "value")))
                        {
                            Assert.Contains(r.Groups[1].Value, defined);
                        }
                    }
                    defined.Add(name);
                }
                foreach (var mount in Seq(container, "volumeMounts"))
                {
                    Assert.Contains(Scalar(mount, "name"), volumes);
                }
            }
        }
    }

    [Fact]
    public void Kubernetes_Services_SelectADeploymentAndTargetOneOfItsPorts()
    {
        var docs = Documents();
        var deployments = docs.Where(d => Scalar(d.Doc, "kind") == "Deployment").Select(d => d.Doc).ToList();
        foreach (var (file, service) in docs.Where(d => Scalar(d.Doc, "kind") == "Service"))
        {
            var selector = Labels(Map(service, "spec", "selector"));
            Assert.NotEmpty(selector);
            var target = Assert.Single(deployments, d =>
            {
                var labels = Labels(Map(d, "spec", "template", "metadata", "labels"));
                return selector.All(kv => labels.GetValueOrDefault(kv.Key) == kv.Value);
            });
            var ports = Ports(Seq(Map(target, "spec", "template", "spec"), "containers")[0]);
            foreach (var port in Seq(service, "spec", "ports"))
            {
                Assert.InRange(int.Parse(Scalar(port, "port"), CultureInfo.InvariantCulture), 1, 65535);
                var targetPort = Scalar(port, "targetPort");
                var byNumber = int.TryParse(targetPort, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && ports.ContainsValue(number);
                Assert.True(ports.ContainsKey(targetPort) || byNumber,
                    $"{file}: targetPort {targetPort} is no container port of {Scalar(target, "metadata", "name")}");
            }
        }
    }

    [Fact]
    public void Kubernetes_EveryEnvironmentVariable_IsASettingTheServersRead()
    {
        foreach (var (file, deployment) in Documents().Where(d => Scalar(d.Doc, "kind") == "Deployment"))
        {
            foreach (var container in Seq(Map(deployment, "spec", "template", "spec"), "containers"))
            {
                var env = Seq(container, "env").Select(e => (Name: Scalar(e, "name"), Value: Has((YamlMappingNode)e, "value") ? Scalar(e, "value") : "")).ToList();
                var helpers = env.SelectMany(e => VariableReference().Matches(e.Value).Select(m => m.Groups[1].Value)).ToHashSet();
                foreach (var (name, _) in env)
                {
                    if (helpers.Contains(name) || name.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || name.StartsWith("DOTNET_", StringComparison.Ordinal) || name.StartsWith("OTEL_", StringComparison.Ordinal))
                    {
                        continue;
                    }
                    // .NET's spelling, or Spring's relaxed one as ServiceDefaults maps it (SPRING_CLOUD_GATEWAY_ROUTES_0_URI → Gateway:Routes:0:Uri).
                    var key = SpringEnvironmentVariables.KeyFor(name) ?? (name.Contains("__", StringComparison.Ordinal) ? name.Replace("__", ":", StringComparison.Ordinal) : null);
                    Assert.True(key is not null, $"{file}: {name} is read by no server (neither Key__Sub nor a Spring-style EUREKA_/SPRING_/ENCRYPT_/MANAGEMENT_ name)");
                    Assert.True(KnownRoots.Contains(key.Split(':')[0], StringComparer.OrdinalIgnoreCase), $"{file}: {name} → {key}, outside every section the servers bind");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Servers))]
    public void Server_DeploymentServiceAndSystemdUnit_ListenOnItsDefaultPort(string server, string k8sName, string unit)
    {
        var program = File.ReadAllText(Path.Combine(RepoPaths.Root, server, "Program.cs"));
        var port = int.Parse(DefaultUrl().Match(program).Groups[1].Value, CultureInfo.InvariantCulture);

        var docs = Documents().Select(d => d.Doc).ToList();
        var deployment = Assert.Single(docs, d => Scalar(d, "kind") == "Deployment" && Scalar(d, "metadata", "name") == k8sName);
        Assert.Single(docs, d => Scalar(d, "kind") == "Service" && Scalar(d, "metadata", "name") == k8sName);
        var container = Seq(Map(deployment, "spec", "template", "spec"), "containers")[0];
        Assert.Contains(port, Ports(container).Values);
        // Inside a container the server must listen on every interface: its default outside one is 127.0.0.1.
        var urls = Seq(container, "env").Single(e => Scalar(e, "name") == "ASPNETCORE_URLS");
        Assert.Equal($"http://+:{port}", Scalar(urls, "value"));

        var lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, "deploy", "systemd", $"infra-{unit}.service")).Select(l => l.Trim()).ToList();
        Assert.Equal(["[Unit]", "[Service]", "[Install]"], lines.Where(l => l.StartsWith('[')).ToList());
        // The layout `build.ps1 publish` makes: one folder per server, the executable named after it.
        Assert.Contains($"ExecStart=/opt/infrastructure/{server}/{server}", lines);
        Assert.Contains($"WorkingDirectory=/opt/infrastructure/{server}", lines);
        Assert.Contains($"Environment=ASPNETCORE_URLS=http://0.0.0.0:{port}", lines);
        Assert.Contains("WantedBy=multi-user.target", lines);
        foreach (var setting in lines.Where(l => l.StartsWith("Environment=", StringComparison.Ordinal)))
        {
            Assert.Matches(@"^Environment=[A-Za-z_][A-Za-z0-9_]*=\S", setting);
        }
    }

    private static List<(string File, YamlMappingNode Doc)> Documents()
    {
        var result = new List<(string, YamlMappingNode)>();
        foreach (var file in Directory.GetFiles(K8s, "*.yaml").Order(StringComparer.Ordinal))
        {
            var stream = new YamlStream();
            using (var reader = new StreamReader(file))
            {
                stream.Load(reader);
            }
            foreach (var doc in stream.Documents)
            {
                result.Add((Path.GetFileName(file), Assert.IsType<YamlMappingNode>(doc.RootNode)));
            }
        }
        return result;
    }

    private static bool Has(YamlMappingNode node, string key) => node.Children.ContainsKey(new YamlScalarNode(key));

    private static YamlNode Node(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            var map = Assert.IsType<YamlMappingNode>(node);
            Assert.True(map.Children.TryGetValue(new YamlScalarNode(key), out var child), $"missing '{key}' (path {string.Join('.', path)})");
            node = child!;
        }
        return node;
    }

    private static YamlMappingNode Map(YamlNode node, params string[] path) => Assert.IsType<YamlMappingNode>(Node(node, path));

    private static string Scalar(YamlNode node, params string[] path)
    {
        var value = Assert.IsType<YamlScalarNode>(Node(node, path)).Value;
        Assert.False(string.IsNullOrEmpty(value), $"empty {string.Join('.', path)}");
        return value!;
    }

    // A missing list is an empty one (volumes, env, volumeMounts are optional).
    private static List<YamlNode> Seq(YamlNode node, params string[] path)
    {
        var parent = path.Length == 1 ? (YamlMappingNode)node : Map(node, path[..^1]);
        return parent.Children.TryGetValue(new YamlScalarNode(path[^1]), out var list) ? [.. Assert.IsType<YamlSequenceNode>(list).Children] : [];
    }

    private static Dictionary<string, string> Labels(YamlMappingNode labels) =>
        labels.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value!);

    // name → containerPort (unnamed ports under their number).
    private static Dictionary<string, int> Ports(YamlNode container) =>
        Seq(container, "ports").ToDictionary(
            p => Has((YamlMappingNode)p, "name") ? Scalar(p, "name") : Scalar(p, "containerPort"),
            p => int.Parse(Scalar(p, "containerPort"), CultureInfo.InvariantCulture));

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex VariableReference();

    [GeneratedRegex(@"UseDefaultUrl\((\d+)\)")]
    private static partial Regex DefaultUrl();
}
