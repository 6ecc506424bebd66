using Infrastructure.Mesh.Api.Resources;
using System.Text.Json;
using Google.Protobuf;
using Infrastructure.Discovery.Client;
using Infrastructure.Mesh.Sidecar.Certificates;
using Infrastructure.Mesh.Sidecar.Hosting;
using Infrastructure.Mesh.Sidecar.Registration;
using Infrastructure.Mesh.Sidecar.Xds;

namespace Infrastructure.Mesh.Sidecar.Admin;

/// <summary>The admin port (plaintext, loopback), Envoy's names: /ready, /stats/prometheus, /config_dump, POST /quitquitquit.</summary>
internal static class AdminEndpoints
{
    public static void MapAdmin(this WebApplication app, int adminPort)
    {
        var host = $"*:{adminPort}";
        app.MapGet("/ready", (SidecarLifecycle lifecycle) => lifecycle.IsReady
            ? Results.Text("LIVE\n")
            : Results.Text(lifecycle.Draining ? "DRAINING\n" : $"PRE_INITIALIZING: {lifecycle.Stage}\n", statusCode: StatusCodes.Status503ServiceUnavailable))
            .RequireHost(host).WithName("ready");
        app.MapPost("/quitquitquit", (IHostApplicationLifetime lifetime) =>
        {
            lifetime.StopApplication();
            return Results.Text("OK\n");
        }).RequireHost(host).WithName("quitquitquit");
        app.MapGet("/config_dump", (HttpContext context) => WriteConfigDumpAsync(context)).RequireHost(host).WithName("config_dump");
        app.MapPrometheusScrapingEndpoint("/stats/prometheus").RequireHost(host);
    }

    private static async Task WriteConfigDumpAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var store = services.GetRequiredService<ConfigStore>();
        var certificates = services.GetRequiredService<WorkloadCertificates>();
        var registration = services.GetRequiredService<AppRegistration>();
        var registry = services.GetRequiredService<IServiceInstanceProvider>();
        var identity = services.GetRequiredService<WorkloadIdentity>();
        var lifecycle = services.GetRequiredService<SidecarLifecycle>();
        var config = store.Current;
        var rejections = store.Rejections;

        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteStartObject("node");
        json.WriteString("id", identity.Node().Id);
        json.WriteString("app", identity.App);
        json.WriteString("spiffeId", identity.SpiffeId);
        json.WriteStartObject("labels");
        foreach (var (k, v) in identity.Labels)
        {
            json.WriteString(k, v);
        }
        json.WriteEndObject();
        json.WriteString("stage", lifecycle.Stage);
        json.WriteBoolean("controlPlaneConnected", store.Connected);
        json.WriteEndObject();

        json.WriteStartArray("configs");
        foreach (var type in ResourceTypes.All)
        {
            var state = config.Types[type];
            json.WriteStartObject();
            json.WriteString("typeUrl", type);
            json.WriteString("versionInfo", state.Version);
            json.WriteString("nonce", state.Nonce);
            if (state.AcceptedAt != DateTimeOffset.MinValue)
            {
                json.WriteString("lastUpdated", state.AcceptedAt);
            }
            if (rejections.TryGetValue(type, out var rejected))
            {
                json.WriteStartObject("errorState");
                json.WriteString("versionInfo", rejected.Version);
                json.WriteString("nonce", rejected.Nonce);
                json.WriteString("details", rejected.Reason);
                json.WriteString("lastUpdateAttempt", rejected.At);
                json.WriteEndObject();
            }
            json.WriteStartArray("resources");
            foreach (var resource in state.Resources)
            {
                json.WriteRawValue(JsonFormatter.Default.Format(resource));
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteStartObject("certificate");
        if (certificates.Current is { } cert)
        {
            json.WriteString("serialNumber", cert.Serial);
            json.WriteString("validFrom", cert.NotBefore);
            json.WriteString("expirationTime", cert.NotAfter);
            json.WriteString("uriSan", SpiffeIds.Of(cert.Leaf));
            json.WriteString("rootSubject", cert.Root.Subject);
            json.WriteNumber("issued", certificates.Issued);
        }
        json.WriteEndObject();

        json.WriteStartObject("registration");
        json.WriteBoolean("enabled", registration.Enabled);
        json.WriteBoolean("registered", registration.Registered);
        json.WriteString("status", registration.Status);
        json.WriteString("registry", registration.Server);
        json.WriteEndObject();

        // The registry as this sidecar sees it, for the services its config names and the ones it knows.
        var inUse = new SortedSet<string>(registry.GetServices(), StringComparer.Ordinal);
        foreach (var host in config.VirtualServices.SelectMany(v => v.Spec.Hosts).Concat(config.DestinationRules.Select(d => d.Spec.Host)))
        {
            inUse.Add(Outbound.RouteSelection.ServiceName(host));
        }
        json.WriteStartObject("registry");
        foreach (var service in inUse)
        {
            json.WriteStartArray(service);
            foreach (var i in registry.GetInstances(service))
            {
                json.WriteStartObject();
                json.WriteString("instanceId", i.InstanceId);
                json.WriteString("address", $"{i.Host}:{i.Port}");
                json.WriteStartObject("metadata");
                foreach (var (k, v) in i.Metadata)
                {
                    json.WriteString(k, v);
                }
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
