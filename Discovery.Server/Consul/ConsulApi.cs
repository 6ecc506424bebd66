using System.Globalization;
using System.Net;
using System.Text.Json;
using Infrastructure.Discovery.Server.Api;
using Infrastructure.Discovery.Server.Registry;
using Infrastructure.ServiceDefaults.Configuration;
using Microsoft.Extensions.Options;
using Infrastructure.ServiceDefaults.Web;

namespace Infrastructure.Discovery.Server.Consul;

/// <summary>
/// Consul's agent, catalog, health and status HTTP API (the subset service registration and discovery use), on the
/// Eureka registry. Errors are Consul's: plain-text bodies with 400, 404, 405 or 500.
/// </summary>
internal static class ConsulApi
{
    private const string Put = "PUT";
    private const string Get = "GET";

    /// <summary>
    /// Writes Consul took as GET before 1.0 enforced methods, and that Debian's python3-consul (0.7.1) still sends as GET:
    /// accepted so that client works, and treated as writes by the registry's security whatever the method.
    /// </summary>
    private static readonly string[] LegacyGetWrites =
        ["/v1/agent/service/deregister/", "/v1/agent/check/pass/", "/v1/agent/check/warn/", "/v1/agent/check/fail/"];

    /// <summary>Whether the request changes the registry (for the security middleware: GET is not always a read here).</summary>
    public static bool IsWrite(HttpRequest request)
    {
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            return true;
        }
        var path = request.Path.Value ?? "";
        return LegacyGetWrites.Any(p => path.StartsWith(p, StringComparison.Ordinal));
    }

    /// <summary>Maps <c>/v1/...</c>.</summary>
    public static IEndpointRouteBuilder MapConsulApi(this IEndpointRouteBuilder endpoints)
    {
        Route(endpoints, "/v1/agent/service/register", [Put], RegisterAsync);
        Route(endpoints, "/v1/agent/service/deregister/{**id}", [Put, Get], ctx => Deregister(ctx));
        Route(endpoints, "/v1/agent/service/maintenance/{**id}", [Put], ctx => Maintenance(ctx));
        Route(endpoints, "/v1/agent/service/{**id}", [Get], ctx => AgentService(ctx));
        Route(endpoints, "/v1/agent/services", [Get], ctx => Json(ctx, ConsulJson.AgentServices(Agent(ctx).Services(), Catalog(ctx).Datacenter)));
        Route(endpoints, "/v1/agent/checks", [Get], ctx => Json(ctx, ConsulJson.AgentChecks(Agent(ctx).Services())));
        Route(endpoints, "/v1/agent/self", [Get], ctx => AgentSelf(ctx));
        foreach (var (verb, status) in (ReadOnlySpan<(string, string)>)[("pass", CheckStatus.Passing), ("warn", CheckStatus.Warning), ("fail", CheckStatus.Critical)])
        {
            Route(endpoints, $"/v1/agent/check/{verb}/{{**id}}", [Put, Get], ctx => CheckUpdate(ctx, status, ctx.Request.Query["note"].ToString()));
        }
        Route(endpoints, "/v1/agent/check/update/{**id}", [Put], CheckUpdateBodyAsync);
        Route(endpoints, "/v1/catalog/services", [Get], ctx => BlockingAsync(ctx, null, c => ConsulJson.CatalogServices(c.Services())));
        Route(endpoints, "/v1/catalog/service/{name}", [Get], ctx =>
        {
            var name = (string)ctx.Request.RouteValues["name"]!;
            return BlockingAsync(ctx, name, c => ConsulJson.CatalogService(c.Service(name, Tag(ctx)), c.Datacenter));
        });
        Route(endpoints, "/v1/health/service/{name}", [Get], HealthServiceAsync);
        Route(endpoints, "/v1/health/checks/{name}", [Get], ctx =>
        {
            var name = (string)ctx.Request.RouteValues["name"]!;
            return BlockingAsync(ctx, name, c => ConsulJson.HealthChecks(c.Service(name, null)));
        });
        Route(endpoints, "/v1/status/leader", [Get], ctx => Json(ctx, ConsulJson.Strings(Leader(ctx), array: false)));
        Route(endpoints, "/v1/status/peers", [Get], ctx => Json(ctx, ConsulJson.Strings(Leader(ctx), array: true)));
        // Everything else Consul has (KV, sessions, ACL, events, queries...) is not served: Go's mux answer for an unknown path.
        endpoints.Map("/v1/{**rest}", ctx => Error(ctx, StatusCodes.Status404NotFound, "404 page not found"));
        return endpoints;
    }

    private static void Route(IEndpointRouteBuilder endpoints, string pattern, string[] methods, RequestDelegate handler) =>
        endpoints.Map(pattern, ctx =>
        {
            if (!methods.Contains(ctx.Request.Method, StringComparer.OrdinalIgnoreCase))
            {
                ctx.Response.Headers.Allow = string.Join(", ", methods);
                return Error(ctx, StatusCodes.Status405MethodNotAllowed, $"method {ctx.Request.Method} not allowed");
            }
            return handler(ctx);
        }).WithTags("Consul");

    private static async Task RegisterAsync(HttpContext ctx)
    {
        var max = ctx.RequestServices.GetRequiredService<IOptionsMonitor<EurekaServerOptions>>().CurrentValue.MaxRequestBodyBytes;
        var body = await BoundedBody.ReadAsync(ctx.Request, max, ctx.RequestAborted);
        if (body is null)
        {
            await Error(ctx, StatusCodes.Status400BadRequest, $"Request decode failed: request body is larger than {max} bytes");
            return;
        }
        var definition = ServiceDefinition.TryRead(body, out var error);
        if (definition is null)
        {
            await Error(ctx, StatusCodes.Status400BadRequest, error!);
            return;
        }
        if (Agent(ctx).Register(definition, CallerAddress(ctx)) is { } refused)
        {
            await Error(ctx, StatusCodes.Status400BadRequest, refused);
            return;
        }
        ctx.Response.StatusCode = StatusCodes.Status200OK;
    }

    private static Task Deregister(HttpContext ctx)
    {
        var id = Id(ctx);
        return Agent(ctx).Deregister(id)
            ? Task.CompletedTask
            : Error(ctx, StatusCodes.Status404NotFound, $"Unknown service ID \"{id}\". Ensure that the service ID is passed, not the service name.");
    }

    private static Task Maintenance(HttpContext ctx)
    {
        var id = Id(ctx);
        if (id.Length == 0)
        {
            return Error(ctx, StatusCodes.Status400BadRequest, "Missing service ID");
        }
        var q = ctx.Request.Query;
        if (!q.ContainsKey("enable"))
        {
            return Error(ctx, StatusCodes.Status400BadRequest, "Missing value for enable");
        }
        var raw = q["enable"].ToString();
        if (!TryParseGoBool(raw, out var enable))
        {
            return Error(ctx, StatusCodes.Status400BadRequest, $"Invalid value for enable: \"{raw}\"");
        }
        return Agent(ctx).Maintenance(id, enable, q["reason"].ToString())
            ? Task.CompletedTask
            : Error(ctx, StatusCodes.Status404NotFound, $"No service registered with ID \"{id}\"");
    }

    private static Task AgentService(HttpContext ctx)
    {
        var id = Id(ctx);
        return Agent(ctx).TryGet(id, out var service)
            ? Json(ctx, ConsulJson.AgentService(service, Catalog(ctx).Datacenter))
            : Error(ctx, StatusCodes.Status404NotFound, $"unknown service ID: {id}");
    }

    private static Task AgentSelf(HttpContext ctx)
    {
        var node = Environment.MachineName;
        var address = ctx.Connection.LocalIpAddress is { } ip ? Plain(ip) : "127.0.0.1";
        return Json(ctx, ConsulJson.AgentSelf(Catalog(ctx).Datacenter, node, address, ctx.Connection.LocalPort));
    }

    private static Task CheckUpdate(HttpContext ctx, string status, string output)
    {
        var id = Id(ctx);
        return Agent(ctx).UpdateTtl(id, status, output) switch
        {
            TtlUpdateResult.Ok => Task.CompletedTask,
            TtlUpdateResult.NotTtl => Error(ctx, StatusCodes.Status500InternalServerError, $"CheckID \"{id}\" does not have associated TTL"),
            _ => Error(ctx, StatusCodes.Status404NotFound, $"Unknown check ID \"{id}\". Ensure that the check ID is passed, not the check name."),
        };
    }

    private static async Task CheckUpdateBodyAsync(HttpContext ctx)
    {
        var body = await BoundedBody.ReadAsync(ctx.Request, 64 * 1024, ctx.RequestAborted);
        string? status = null;
        string? output = null;
        try
        {
            if (body is null)
            {
                throw new JsonException("request body is too large");
            }
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new JsonException("expected a JSON object");
            }
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.NameEquals("Status") || p.Name.Equals("status", StringComparison.OrdinalIgnoreCase))
                {
                    status = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : throw new JsonException("Status must be a string");
                }
                else if (p.Name.Equals("output", StringComparison.OrdinalIgnoreCase))
                {
                    output = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : throw new JsonException("Output must be a string");
                }
            }
        }
        catch (JsonException ex)
        {
            await Error(ctx, StatusCodes.Status400BadRequest, "Request decode failed: " + ex.Message);
            return;
        }
        if (status is not (CheckStatus.Passing or CheckStatus.Warning or CheckStatus.Critical))
        {
            await Error(ctx, StatusCodes.Status400BadRequest, $"Invalid check status: '{status}'");
            return;
        }
        await CheckUpdate(ctx, status, output ?? "");
    }

    private static Task HealthServiceAsync(HttpContext ctx)
    {
        var name = (string)ctx.Request.RouteValues["name"]!;
        var passing = false;
        if (ctx.Request.Query.TryGetValue("passing", out var raw))
        {
            // Present without a value (?passing) means true, as in Consul.
            var text = raw.ToString();
            if (text.Length == 0)
            {
                passing = true;
            }
            else if (!TryParseGoBool(text, out passing))
            {
                return Error(ctx, StatusCodes.Status400BadRequest, "Invalid value for ?passing");
            }
        }
        return BlockingAsync(ctx, name, c =>
        {
            var entries = c.Service(name, Tag(ctx));
            return ConsulJson.HealthService(passing ? entries.Where(e => e.Passing).ToList() : entries, c.Datacenter);
        });
    }

    /// <summary>
    /// A blocking query: with <c>?index=N</c> waits until the index of <paramref name="service"/> (or of the whole
    /// registry) passes N or <c>wait</c> ends; then answers with <c>X-Consul-Index</c> and the leader headers.
    /// </summary>
    private static async Task BlockingAsync(HttpContext ctx, string? service, Func<ConsulCatalog, byte[]> payload)
    {
        var q = ctx.Request.Query;
        TimeSpan? wait = null;
        if (q["wait"].ToString() is { Length: > 0 } w)
        {
            if (!GoDuration.TryParse(w, out var parsed))
            {
                await Error(ctx, StatusCodes.Status400BadRequest, "Invalid wait time");
                return;
            }
            wait = parsed;
        }
        long minIndex = 0;
        if (q["index"].ToString() is { Length: > 0 } i && !(ulong.TryParse(i, NumberStyles.None, CultureInfo.InvariantCulture, out var u) && (minIndex = (long)Math.Min(u, long.MaxValue)) >= 0))
        {
            await Error(ctx, StatusCodes.Status400BadRequest, "Invalid index");
            return;
        }
        var catalog = Catalog(ctx);
        if (q["dc"].ToString() is { Length: > 0 } dc && !dc.Equals(catalog.Datacenter, StringComparison.Ordinal))
        {
            await Error(ctx, StatusCodes.Status500InternalServerError, "No path to datacenter");
            return;
        }
        var index = ctx.RequestServices.GetRequiredService<ConsulIndex>();
        Func<long> current = service is null ? () => index.Current : () => index.Of(service);
        // Shutting down ends the wait early, so a stop does not hang on clients holding ten-minute queries.
        var stopping = ctx.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, stopping);
        await index.WaitAsync(current, minIndex, wait, linked.Token);
        if (ctx.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        // Read before the payload, so a change made while building it shows as a newer index next time, never a missed one.
        var answered = current();
        var body = payload(catalog);
        ctx.Response.Headers["X-Consul-Index"] = answered.ToString(CultureInfo.InvariantCulture);
        ctx.Response.Headers["X-Consul-KnownLeader"] = "true";
        ctx.Response.Headers["X-Consul-LastContact"] = "0";
        await Json(ctx, body);
    }

    private static string? Tag(HttpContext ctx) => ctx.Request.Query["tag"].ToString() is { Length: > 0 } t ? t : null;

    private static string Id(HttpContext ctx) => ctx.Request.RouteValues["id"] as string ?? "";

    private static ConsulAgent Agent(HttpContext ctx) => ctx.RequestServices.GetRequiredService<ConsulAgent>();

    private static ConsulCatalog Catalog(HttpContext ctx) => ctx.RequestServices.GetRequiredService<ConsulCatalog>();

    private static string Leader(HttpContext ctx) =>
        ctx.Connection.LocalIpAddress is { } ip ? $"{Plain(ip)}:{ctx.Connection.LocalPort.ToString(CultureInfo.InvariantCulture)}" : ctx.Request.Host.Value ?? "127.0.0.1:8761";

    private static string CallerAddress(HttpContext ctx) => ctx.Connection.RemoteIpAddress is { } ip ? Plain(ip) : "127.0.0.1";

    private static string Plain(IPAddress ip) => (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString();

    /// <summary>Go's <c>strconv.ParseBool</c>.</summary>
    private static bool TryParseGoBool(string raw, out bool value)
    {
        switch (raw)
        {
            case "1" or "t" or "T" or "TRUE" or "true" or "True":
                value = true;
                return true;
            case "0" or "f" or "F" or "FALSE" or "false" or "False":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    private static Task Json(HttpContext ctx, byte[] body)
    {
        ctx.Response.StatusCode = StatusCodes.Status200OK;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = body.Length;
        return ctx.Response.Body.WriteAsync(body).AsTask();
    }

    private static Task Error(HttpContext ctx, int status, string message)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        return ctx.Response.WriteAsync(message);
    }
}
