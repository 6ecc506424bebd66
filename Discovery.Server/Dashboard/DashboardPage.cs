using System.Globalization;
using System.Net;
using System.Text;
using Infrastructure.Discovery.Server.Eviction;
using Infrastructure.Discovery.Server.Registry;
using Infrastructure.Discovery.Server.Replication;
using Infrastructure.ServiceDefaults.Options;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Server.Dashboard;

/// <summary>Eureka's status page at <c>/</c>: server-rendered, self-refreshing, no external assets.</summary>
internal static class DashboardPage
{
    /// <summary>Seconds between automatic refreshes.</summary>
    public const int RefreshSeconds = 5;

    /// <summary>Maps <c>GET /</c> to the status page.</summary>
    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/", (InstanceRegistry registry, IPeerReplicator replicator, IOptionsMonitor<EurekaServerOptions> options,
                IHostEnvironment env, TimeProvider time, SettingsWarnings warnings) =>
            Results.Content(Render(registry, replicator, options.CurrentValue, env, time, warnings.All), "text/html; charset=utf-8"))
            .ExcludeFromDescription();
        return endpoints;
    }

    internal static string Render(
        InstanceRegistry registry, IPeerReplicator replicator, EurekaServerOptions options, IHostEnvironment env, TimeProvider time,
        IReadOnlyList<SettingsWarning>? warnings = null)
    {
        var now = time.GetUtcNow();
        var uptime = now - registry.StartedAt;
        var apps = registry.GetApplications();
        var peers = replicator.Peers;
        var renews = registry.RenewsLastMinute.LastMinute();
        var sb = new StringBuilder(4096);
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
          .Append("<meta http-equiv=\"refresh\" content=\"").Append(RefreshSeconds).Append("\">")
          .Append("<title>Eureka</title><style>")
          .Append("body{font-family:system-ui,sans-serif;margin:0;background:#f5f5f5;color:#222}")
          .Append("header{background:#24292e;color:#fff;padding:12px 24px;font-size:20px}")
          .Append("main{padding:8px 24px}h2{border-bottom:2px solid #ccc;padding-bottom:4px;font-size:18px}")
          .Append("table{border-collapse:collapse;width:100%;background:#fff;margin-bottom:12px}")
          .Append("th,td{border:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top}th{background:#eee}")
          .Append(".banner{color:#fff;background:#c0392b;padding:10px;font-weight:bold;margin:8px 0}")
          .Append(".warn{background:#d68910}.UP{color:#1e8449;font-weight:bold}.DOWN,.OUT_OF_SERVICE{color:#c0392b;font-weight:bold}")
          .Append("</style></head><body><header>Eureka &mdash; Discovery.Server</header><main>");

        Heading(sb, "System Status");
        sb.Append("<table id=\"system-status\">");
        Row(sb, "Environment", env.EnvironmentName);
        Row(sb, "Data center", "default");
        Row(sb, "Current time", now.ToString("yyyy-MM-dd'T'HH:mm:ss 'UTC'", CultureInfo.InvariantCulture));
        Row(sb, "Uptime", $"{(int)uptime.TotalHours:00}:{uptime.Minutes:00}");
        Row(sb, "Lease expiration enabled", registry.IsLeaseExpirationEnabled() ? "true" : "false");
        Row(sb, "Self preservation enabled", options.EnableSelfPreservation ? "true" : "false");
        Row(sb, "Renews threshold", registry.NumberOfRenewsPerMinThreshold.ToString(CultureInfo.InvariantCulture));
        Row(sb, "Renews (last min)", renews.ToString(CultureInfo.InvariantCulture));
        sb.Append("</table>");

        if (registry.IsSelfPreservationActive())
        {
            sb.Append("<div class=\"banner\" id=\"self-preservation\">").Append(Enc(EurekaHealthCheck.EmergencyText)).Append("</div>");
        }
        else if (!options.EnableSelfPreservation)
        {
            sb.Append("<div class=\"banner warn\" id=\"self-preservation\">").Append(Enc(EurekaHealthCheck.SelfPreservationOffText)).Append("</div>");
        }

        if (warnings is { Count: > 0 })
        {
            // Next to Eureka's self-preservation notice: values accepted as Eureka accepts them, which we would not choose.
            sb.Append("<div class=\"banner warn\" id=\"settings-warnings\">Configuration warnings (also in the log and in /actuator/health):<ul>");
            foreach (var w in warnings)
            {
                sb.Append("<li>").Append(Enc(w.Text)).Append("</li>");
            }
            sb.Append("</ul></div>");
        }

        Heading(sb, "DS Replicas");
        sb.Append("<table id=\"replicas\"><tr><th>Peer</th><th>Reachable</th><th>Last success</th><th>Last failure</th></tr>");
        if (peers.Count == 0)
        {
            sb.Append("<tr><td colspan=\"4\">No peers configured (standalone)</td></tr>");
        }
        foreach (var p in peers)
        {
            sb.Append("<tr><td>").Append(Link(p.ServiceUrl.ToString(), p.ServiceUrl.ToString())).Append("</td><td>")
              .Append(p.Reachable switch { true => "<span class=\"UP\">yes</span>", false => "<span class=\"DOWN\">no</span>", _ => "not contacted yet" })
              .Append("</td><td>").Append(Enc(p.LastSuccess?.ToString("u", CultureInfo.InvariantCulture) ?? "-"))
              .Append("</td><td>").Append(Enc(p.LastFailure is { } f ? f.ToString("u", CultureInfo.InvariantCulture) + " " + p.LastError : "-"))
              .Append("</td></tr>");
        }
        sb.Append("</table>");

        Heading(sb, "Instances currently registered with Eureka");
        sb.Append("<table id=\"applications\"><tr><th>Application</th><th>Availability Zones</th><th>Status</th></tr>");
        if (apps.Applications.Count == 0)
        {
            sb.Append("<tr><td colspan=\"3\">No instances available</td></tr>");
        }
        foreach (var app in apps.Applications)
        {
            sb.Append("<tr class=\"application\"><td><b>").Append(Enc(app.Name)).Append("</b></td><td>default (")
              .Append(app.Instances.Count).Append(")</td><td>");
            foreach (var group in app.Instances.GroupBy(i => i.Info.Status))
            {
                sb.Append("<div><span class=\"").Append(group.Key).Append("\">").Append(group.Key).Append(" (").Append(group.Count()).Append(")</span> - ");
                var first = true;
                foreach (var i in group)
                {
                    if (!first)
                    {
                        sb.Append(" , ");
                    }
                    first = false;
                    var info = i.Info;
                    var target = info.StatusPageUrl ?? info.HomePageUrl;
                    sb.Append("<span class=\"instance\">").Append(target is null ? Enc(info.InstanceId) : Link(target, info.InstanceId));
                    if (info.HealthCheckUrl is not null)
                    {
                        sb.Append(" [").Append(Link(info.HealthCheckUrl, "health")).Append(']');
                    }
                    if (info.HomePageUrl is not null)
                    {
                        sb.Append(" [").Append(Link(info.HomePageUrl, "home")).Append(']');
                    }
                    if (info.OverriddenStatus != InstanceStatus.UNKNOWN)
                    {
                        sb.Append(" (override ").Append(info.OverriddenStatus).Append(')');
                    }
                    sb.Append("</span>");
                }
                sb.Append("</div>");
            }
            sb.Append("</td></tr>");
        }
        sb.Append("</table>");

        Heading(sb, "General Info");
        sb.Append("<table id=\"general-info\">");
        Row(sb, "registered-instances", registry.Count.ToString(CultureInfo.InvariantCulture));
        Row(sb, "registered-applications", apps.Applications.Count.ToString(CultureInfo.InvariantCulture));
        Row(sb, "apps-hashcode", apps.AppsHashCode);
        Row(sb, "expected-clients-sending-renews", registry.ExpectedNumberOfClientsSendingRenews.ToString(CultureInfo.InvariantCulture));
        Row(sb, "available-replicas", string.Join(", ", peers.Where(p => p.Reachable == true).Select(p => p.ServiceUrl)));
        Row(sb, "unavailable-replicas", string.Join(", ", peers.Where(p => p.Reachable == false).Select(p => p.ServiceUrl)));
        Row(sb, "num-of-cpus", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture));
        Row(sb, "current-memory-usage", (GC.GetTotalMemory(false) / (1024 * 1024)).ToString(CultureInfo.InvariantCulture) + "mb");
        sb.Append("</table>");
        sb.Append("<p><small>Refreshes every ").Append(RefreshSeconds).Append(" s &middot; <a href=\"/eureka/apps\">/eureka/apps</a> &middot; <a href=\"/actuator/health\">/actuator/health</a></small></p>");
        sb.Append("</main></body></html>");
        return sb.ToString();
    }

    private static void Heading(StringBuilder sb, string text) => sb.Append("<h2>").Append(Enc(text)).Append("</h2>");

    private static void Row(StringBuilder sb, string name, string value) =>
        sb.Append("<tr><th>").Append(Enc(name)).Append("</th><td>").Append(Enc(value)).Append("</td></tr>");

    private static string Link(string href, string text) =>
        Uri.TryCreate(href, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? $"<a href=\"{Enc(uri.ToString())}\">{Enc(text)}</a>"
            : Enc(text);

    private static string Enc(string text) => WebUtility.HtmlEncode(text);
}
