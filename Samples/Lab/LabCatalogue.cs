using Infrastructure.Hosting.Processes;

namespace Infrastructure.Samples.Lab;

/// <summary>Every component the lab knows, in the order a student meets them.</summary>
internal static class LabCatalogue
{
    public static IReadOnlyList<Component> All { get; } =
    [
        new("discovery", "Discovery.Server", 8761, [], null, "", "the registry dashboard")
        {
            // Lab timings: changes show within seconds instead of Eureka's production minutes.
            Environment = (_, _) => new Dictionary<string, string>
            {
                ["Eureka__Server__ResponseCacheUpdateIntervalMs"] = "1000",
                ["Eureka__Server__EvictionIntervalTimerInMs"] = "5000",
                ["Eureka__Server__ExpectedClientRenewalIntervalSeconds"] = "5",
                // With a handful of instances one missed heartbeat would trip self-preservation; the lab page shows the switch.
                ["Eureka__Server__EnableSelfPreservation"] = "false",
            },
        },
        new("config", "Config.Server", 8888, [], null, "catalog/default", "the catalog's configuration"),
        new("auth", "Auth.Server", 9000, [], null, ".well-known/openid-configuration", "the OpenID Connect discovery document")
        {
            Environment = (plan, _) => AuthEnvironment(plan),
            MorePages = [("account/login", "the login page the web shop sends you to (alice / alice)")],
        },
        new("catalog", "Samples/Catalog.Service", 5301, ["discovery", "config", "auth"], "CATALOG", "actuator/health", "a catalog instance (its API needs a token)"),
        new("order", "Samples/Order.Service", 5401, ["discovery", "config", "auth", "catalog"], "ORDER", "actuator/health", "the order service (calls catalog by name)"),
        new("gateway", "Gateway", 8080, ["discovery", "auth"], null, "actuator/gateway/routes", "the gateway's routes")
        {
            MorePages = [("dashboard", "the live dashboard: every route's traffic and breaker, take instances down")],
            Environment = (plan, _) => Optional(
                ("Gateway__Discovery__Locator__Enabled", "true"),
                // Idempotent calls that fail on one instance are tried on the next (Spring's Retry filter, GET only).
                ("Gateway__DefaultFilters__0", "Retry=2"),
                // The gateway waits 1 s per attempt by default (Ribbon's ReadTimeout); the order service retries its own
                // catalog calls with a 1 s timeout each, so the hop in front of it must wait longer than all of them.
                ("Gateway__LoadBalancer__Clients__order__ReadTimeout", "5000"),
                ("Gateway__Security__Authority", plan.UrlOf("auth").ToString().TrimEnd('/')),
                ("Gateway__RateLimiter__Redis", plan.Redis)),
        },
        new("web-bff", "Samples/Web.Bff", 5100, ["gateway", "auth"], "WEB-BFF", "", "the web shop: log in as alice / alice")
        {
            Environment = (plan, _) => Optional(
                ("Gateway__Url", plan.UrlOf("gateway").ToString()),
                ("Redis__Configuration", plan.Redis)),
        },
        new("mobile-bff", "Samples/Mobile.Bff", 5200, ["gateway", "auth"], "MOBILE-BFF", "actuator/health", "the mobile edge (bearer tokens)")
        {
            Environment = (plan, _) => Optional(("Gateway__Url", plan.UrlOf("gateway").ToString())),
        },
        // The service mesh (--mesh): an istiod-style control plane watching a folder of Istio YAML, and Bookinfo's
        // polyglot samples, each behind its own sidecar, none with a mesh or discovery library.
        new("mesh-cp", MeshWorkload.ControlPlaneProject, 15010, [], null, "debug/syncz", "every sidecar and whether it holds the latest config")
        {
            MeshOnly = true,
            MorePages = [("debug/configz", "the Istio resources in force")],
            Arguments = (plan, _) => ["--Mesh:ConfigPath=" + plan.MeshConfigFolder, "--Mesh:Ca:RootPath=" + plan.MeshCaFolder],
        },
        Bookinfo("ratings", "RATINGS", 9380, 15400, "v1", ["discovery", "mesh-cp"], "ratings/0", "a ratings instance, straight to the .NET app",
            (root, _) => ["dotnet", RepositoryLayout.ProjectDll(root, Path.Combine("Samples", "Mesh", "Ratings"), LabRunner.Configuration)]) with
        {
            // Two instances, so outlier detection has one to eject while the other serves.
            DefaultScale = 2,
        },
        Bookinfo("reviews-v1", "REVIEWS", 9180, 15200, "v1", ["discovery", "mesh-cp"], "reviews/0", "reviews v1 straight, in Node.js: no stars",
            (root, i) => ["node", Path.Combine(root, "Samples", "Mesh", "reviews", "reviews.js"), Port(i), "v1"]),
        Bookinfo("reviews-v2", "REVIEWS", 9280, 15300, "v2", ["discovery", "mesh-cp", "ratings"], "reviews/0", "reviews v2 straight, in Node.js: calls ratings through its sidecar",
            (root, i) => ["node", Path.Combine(root, "Samples", "Mesh", "reviews", "reviews.js"), Port(i), "v2"]),
        Bookinfo("productpage", "PRODUCTPAGE", 9080, 15100, "v1", ["discovery", "mesh-cp", "reviews-v1", "reviews-v2"], "productpage",
            "Bookinfo's product page in Python: which reviews version answered", (root, _) => ["python3", Path.Combine(root, "Samples", "Mesh", "productpage", "productpage.py")]),
    ];

    private static Component Bookinfo(string name, string eurekaApp, int port, int sidecarBase, string version, string[] dependsOn,
        string openPath, string hint, Func<string, LabInstance, string[]> command) =>
        // The project folder is where its files are (the sidecar's dll is what starts).
        new(name, Path.Combine("Samples", "Mesh", name == "ratings" ? "Ratings" : name.Split('-')[0]), port, dependsOn, eurekaApp, openPath, hint)
        {
            MeshOnly = true,
            Workload = new MeshWorkload(eurekaApp.ToLowerInvariant(), version, sidecarBase, command),
        };

    private static string Port(LabInstance i) => i.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static Dictionary<string, string> AuthEnvironment(LabPlan plan)
    {
        var env = Optional(("Auth__Postgres__ConnectionString", plan.Postgres));
        // Auth.Server accepts exact redirect URIs only, and its Development settings list the web-bff's default ports
        // (client 1 of Auth:Clients in Auth.Server/appsettings.Development.json). Where the lab really runs each web-bff
        // replica (--port web-bff=N, --scale web-bff=N) goes over those entries, so logging in works on any port.
        var bffs = plan.Instances.Where(i => i.Component.Name == "web-bff").ToList();
        for (var i = 0; i < bffs.Count; i++)
        {
            var n = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            env["Auth__Clients__1__RedirectUris__" + n] = new Uri(bffs[i].BaseUri, "signin-oidc").ToString();
            env["Auth__Clients__1__PostLogoutRedirectUris__" + n] = new Uri(bffs[i].BaseUri, "signout-callback-oidc").ToString();
        }
        return env;
    }

    private static Dictionary<string, string> Optional(params (string Key, string? Value)[] pairs) =>
        pairs.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!);

    public static int DefaultPort(string name) =>
        All.FirstOrDefault(c => c.Name.Equals(name, StringComparison.OrdinalIgnoreCase))?.Port
        ?? throw new ArgumentException($"unknown component '{name}'");

    /// <summary>Environment every lab process gets: where the shared servers are, and Development mode.</summary>
    public static Dictionary<string, string> CommonEnvironment(LabPlan plan, LabInstance instance)
    {
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_NOLOGO"] = "1",
            ["INFRA_PARENT_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["OTEL_SERVICE_NAME"] = instance.Component.Name,
            ["Eureka__Client__ServiceUrl__DefaultZone"] = new Uri(plan.UrlOf("discovery"), "eureka/").ToString(),
            ["Spring__Cloud__Config__Uri"] = plan.UrlOf("config").ToString().TrimEnd('/'),
            ["Auth__Authority"] = plan.UrlOf("auth").ToString().TrimEnd('/'),
            // Lab timings (see the discovery lab): heartbeats every 5 s, evicted 15 s after the last one, fetch every 5 s.
            ["Eureka__Instance__LeaseRenewalIntervalInSeconds"] = "5",
            ["Eureka__Instance__LeaseExpirationDurationInSeconds"] = "15",
            ["Eureka__Client__RegistryFetchIntervalSeconds"] = "5",
            // Every request traced, so each lab request can be found in the trace views (the servers' default is Spring's 10 %).
            ["Tracing__SamplingProbability"] = "1",
        };
        if (plan.Otlp is not null)
        {
            foreach (var (k, v) in Monitoring.OtlpEnvironment(plan.Otlp)) { env[k] = v; }
        }
        if (plan.Options.Zipkin is not null)
        {
            env["Tracing__Zipkin__Endpoint"] = plan.Options.Zipkin.ToString();
        }
        if (!plan.Has("config"))
        {
            // Started without Config.Server (--only): services run on their own settings, as Spring's spring.cloud.config.enabled=false.
            env["Spring__Cloud__Config__Enabled"] = "false";
        }
        foreach (var (k, v) in instance.Component.Environment?.Invoke(plan, instance.Index) ?? new Dictionary<string, string>())
        {
            env[k] = v;
        }
        return env;
    }
}
