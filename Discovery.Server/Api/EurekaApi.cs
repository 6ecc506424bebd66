using System.Globalization;
using Infrastructure.Discovery.Server.Registry;
using Microsoft.Extensions.Options;
using Infrastructure.ServiceDefaults.Web;

namespace Infrastructure.Discovery.Server.Api;

/// <summary>Eureka's REST operations, served under both <c>/eureka/</c> (Spring Cloud) and <c>/eureka/v2/</c> (Netflix).</summary>
internal static partial class EurekaApi
{
    /// <summary>Header marking a call that a peer replicated to us; such calls are applied but not forwarded again.</summary>
    public const string ReplicationHeader = "x-netflix-discovery-replication";

    /// <summary>Maps the Eureka REST API.</summary>
    public static IEndpointRouteBuilder MapEurekaApi(this IEndpointRouteBuilder endpoints)
    {
        foreach (var prefix in (string[])["/eureka", "/eureka/v2"])
        {
            var g = endpoints.MapGroup(prefix).WithTags("Eureka");
            g.MapGet("/apps", (HttpContext ctx, ResponseCache cache) => Cached(ctx, cache, CacheEntity.AllApps, string.Empty));
            g.MapGet("/apps/delta", (HttpContext ctx, ResponseCache cache) => Cached(ctx, cache, CacheEntity.Delta, string.Empty));
            g.MapGet("/apps/{app}", (string app, HttpContext ctx, ResponseCache cache) => Cached(ctx, cache, CacheEntity.Application, app.ToUpperInvariant()));
            g.MapPost("/apps/{app}", RegisterAsync);
            g.MapGet("/apps/{app}/{id}", GetInstance);
            g.MapPut("/apps/{app}/{id}", Renew);
            g.MapDelete("/apps/{app}/{id}", Cancel);
            g.MapPut("/apps/{app}/{id}/status", StatusUpdate);
            g.MapDelete("/apps/{app}/{id}/status", DeleteStatusOverride);
            g.MapPut("/apps/{app}/{id}/metadata", UpdateMetadata);
            g.MapGet("/instances/{id}", GetInstanceById);
            g.MapGet("/vips/{vip}", (string vip, HttpContext ctx, InstanceRegistry registry) => Payload(ctx, registry.GetByVip(vip, secure: false)));
            g.MapGet("/svips/{svip}", (string svip, HttpContext ctx, InstanceRegistry registry) => Payload(ctx, registry.GetByVip(svip, secure: true)));
            g.MapPost("/peerreplication/batch", PeerReplicationBatch.HandleAsync);
        }
        return endpoints;
    }

    private static async Task<IResult> RegisterAsync(
        string app, HttpContext ctx, InstanceRegistry registry,
        IOptionsMonitor<EurekaServerOptions> options, TimeProvider time, ILoggerFactory loggers)
    {
        if (app.Equals("delta", StringComparison.OrdinalIgnoreCase))
        {
            return BadRequest("'delta' is reserved and cannot be an application name");
        }
        var max = options.CurrentValue.MaxRequestBodyBytes;
        var body = await BoundedBody.ReadAsync(ctx.Request, max, ctx.RequestAborted);
        if (body is null)
        {
            return BadRequest($"Request body is larger than {max} bytes");
        }
        if (body.Length == 0)
        {
            return BadRequest("Missing request body: expected {\"instance\":{...}} or <instance>");
        }
        var warnings = new List<string>();
        var info = InstanceReader.TryRead(body, ctx.Request.ContentType, time.GetUtcNow().ToUnixTimeMilliseconds(), out var error, warnings);
        if (info is null)
        {
            return BadRequest(error ?? "Invalid instance");
        }
        if (!info.App.Equals(app, StringComparison.OrdinalIgnoreCase))
        {
            return BadRequest($"Mismatched appName, expecting {app.ToUpperInvariant()} but was {info.App}");
        }
        if (warnings.Count > 0)
        {
            // Eureka accepts these, so we do too; the warning is for whoever reads the logs wondering about the instance.
            LogAcceptedWithWarnings(loggers.CreateLogger(typeof(EurekaApi)), info.App, info.InstanceId, string.Join("; ", warnings));
        }
        registry.Register(info, IsReplication(ctx));
        // Exactly 204: several clients (eureka-js-client among them) treat anything else as failure.
        return Results.NoContent();
    }

    private static IResult GetInstance(string app, string id, HttpContext ctx, InstanceRegistry registry) =>
        registry.TryGetInstance(app, id, out var instance) ? Payload(ctx, instance) : Results.NotFound();

    private static IResult GetInstanceById(string id, HttpContext ctx, InstanceRegistry registry) =>
        registry.TryGetInstanceById(id, out var instance) ? Payload(ctx, instance) : Results.NotFound();

    private static IResult Renew(string app, string id, HttpContext ctx, InstanceRegistry registry)
    {
        var q = ctx.Request.Query;
        if (!TryLong(q["lastDirtyTimestamp"], out var dirty))
        {
            return BadRequest("lastDirtyTimestamp must be an integer (Unix ms)");
        }
        InstanceStatus? overridden = q["overriddenstatus"].ToString() is { Length: > 0 } o ? InstanceStatusParser.ParseOrUnknown(o) : null;
        var result = registry.Renew(app, id, IsReplication(ctx), dirty, overridden);
        return result switch
        {
            RenewResult.Ok => Results.Ok(),
            RenewResult.Conflict when registry.TryGetInstance(app, id, out var ours) => Payload(ctx, ours, StatusCodes.Status409Conflict),
            _ => Results.NotFound(),
        };
    }

    private static IResult Cancel(string app, string id, HttpContext ctx, InstanceRegistry registry) =>
        registry.Cancel(app, id, IsReplication(ctx)) ? Results.Ok() : Results.NotFound();

    private static IResult StatusUpdate(string app, string id, HttpContext ctx, InstanceRegistry registry)
    {
        var q = ctx.Request.Query;
        if (!InstanceStatusParser.TryParse(q["value"], out var status))
        {
            return BadRequest("Query parameter value must be one of UP, DOWN, STARTING, OUT_OF_SERVICE, UNKNOWN");
        }
        if (!TryLong(q["lastDirtyTimestamp"], out var dirty))
        {
            return BadRequest("lastDirtyTimestamp must be an integer (Unix ms)");
        }
        return registry.StatusUpdate(app, id, status, dirty, IsReplication(ctx)) ? Results.Ok() : Results.NotFound();
    }

    private static IResult DeleteStatusOverride(string app, string id, HttpContext ctx, InstanceRegistry registry)
    {
        var q = ctx.Request.Query;
        var status = InstanceStatus.UNKNOWN;
        if (q["value"].ToString() is { Length: > 0 } v && !InstanceStatusParser.TryParse(v, out status))
        {
            return BadRequest("Query parameter value must be one of UP, DOWN, STARTING, OUT_OF_SERVICE, UNKNOWN");
        }
        if (!TryLong(q["lastDirtyTimestamp"], out var dirty))
        {
            return BadRequest("lastDirtyTimestamp must be an integer (Unix ms)");
        }
        return registry.DeleteStatusOverride(app, id, status, dirty, IsReplication(ctx)) ? Results.Ok() : Results.NotFound();
    }

    private static IResult UpdateMetadata(string app, string id, HttpContext ctx, InstanceRegistry registry)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in ctx.Request.Query)
        {
            if (k.Length == 0 || k.Length > 256)
            {
                return BadRequest("Metadata keys must be 1 to 256 characters");
            }
            values[k] = v.ToString();
        }
        if (values.Count == 0)
        {
            return BadRequest("No metadata given: use PUT .../metadata?key=value");
        }
        return registry.UpdateMetadata(app, id, values, IsReplication(ctx)) ? Results.Ok() : Results.NotFound();
    }

    private static IResult Cached(HttpContext ctx, ResponseCache cache, CacheEntity entity, string name)
    {
        var json = WantsJson(ctx.Request);
        if (cache.GetPayload(new CacheKey(entity, name, json)) is not { } payload)
        {
            return Results.NotFound();
        }
        var contentType = json ? "application/json" : "application/xml";
        // As Eureka's ApplicationsResource: the full registry and the delta go gzipped to a client that accepts gzip,
        // from bytes compressed once per cached payload; one application is always sent plain.
        return entity != CacheEntity.Application && AcceptsGzip(ctx.Request)
            ? new BytesResult(payload.Gzip, contentType, StatusCodes.Status200OK, contentEncoding: "gzip")
            : Results.Bytes(payload.Bytes, contentType);
    }

    /// <summary>Eureka's test: the Accept-Encoding header mentions gzip.</summary>
    private static bool AcceptsGzip(HttpRequest request) =>
        request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase);

    private static IResult Payload(HttpContext ctx, ApplicationsView apps)
    {
        var json = WantsJson(ctx.Request);
        return Results.Bytes(json ? EurekaJsonWriter.Applications(apps) : EurekaXmlWriter.Applications(apps), json ? "application/json" : "application/xml");
    }

    private static IResult Payload(HttpContext ctx, RegisteredInstance instance, int status = StatusCodes.Status200OK)
    {
        var json = WantsJson(ctx.Request);
        var bytes = json ? EurekaJsonWriter.Instance(instance) : EurekaXmlWriter.Instance(instance);
        return new BytesResult(bytes, json ? "application/json" : "application/xml", status);
    }

    /// <summary>JSON when the client asks for it before (or instead of) XML; XML otherwise, as Eureka's default.</summary>
    internal static bool WantsJson(HttpRequest request)
    {
        var accept = request.Headers.Accept.ToString();
        var j = accept.IndexOf("json", StringComparison.OrdinalIgnoreCase);
        var x = accept.IndexOf("xml", StringComparison.OrdinalIgnoreCase);
        return j >= 0 && (x < 0 || j < x);
    }

    internal static bool IsReplication(HttpContext ctx) =>
        string.Equals(ctx.Request.Headers[ReplicationHeader].ToString(), "true", StringComparison.OrdinalIgnoreCase);

    private static bool TryLong(string? text, out long? value)
    {
        value = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
        {
            value = v;
            return true;
        }
        return false;
    }

    internal static IResult BadRequest(string message) => Results.Text(message, "text/plain", statusCode: StatusCodes.Status400BadRequest);

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning, Message = "Registered {App}/{InstanceId} as Eureka would, but: {Warnings}")]
    private static partial void LogAcceptedWithWarnings(ILogger logger, string app, string instanceId, string warnings);

    private sealed class BytesResult(byte[] bytes, string contentType, int statusCode, string? contentEncoding = null) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = statusCode;
            httpContext.Response.ContentType = contentType;
            if (contentEncoding is not null)
            {
                httpContext.Response.Headers.ContentEncoding = contentEncoding;
            }
            httpContext.Response.ContentLength = bytes.Length;
            return httpContext.Response.Body.WriteAsync(bytes).AsTask();
        }
    }
}
