using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Infrastructure.Discovery.Client.Tests.Fakes;

/// <summary>
/// A minimal Eureka server on a loopback port: the register/renew/cancel/apps/delta endpoints in Eureka's JSON,
/// recording every request, with knobs to make it fail, forget instances or lie about its hash code.
/// It stands in for Discovery.Server, which is built on another branch.
/// </summary>
public sealed class FakeEurekaServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly object _lock = new();
    private readonly Dictionary<string, Dictionary<string, JsonObject>> _apps = new(StringComparer.OrdinalIgnoreCase);
    // instanceId -> (APP, actionType, when): the recently-changed queue, one entry per instance (latest wins), as Eureka's delta.
    private readonly Dictionary<string, (string App, string Action, JsonObject Instance)> _recent = new(StringComparer.Ordinal);
    private long _version;
    private string? _nextDeltaHashCode;

    private FakeEurekaServer(WebApplication app)
    {
        _app = app;
    }

    /// <summary>Every request received, in order.</summary>
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Base address, e.g. <c>http://127.0.0.1:5123/</c>.</summary>
    public Uri BaseUri { get; private set; } = null!;

    /// <summary>The Eureka service URL clients are configured with (<c>{BaseUri}eureka/</c>).</summary>
    public string ServiceUrl => BaseUri + "eureka/";

    /// <summary>When true every call answers 503.</summary>
    public bool Unavailable { get; set; }

    /// <summary>When true <c>/apps/delta</c> answers 403, as a Eureka server with deltas disabled.</summary>
    public bool DeltaDisabled { get; set; }

    /// <summary>When true an application or instance list of one is written as a bare object (as some Eureka versions do).</summary>
    public bool SingleItemsAsObjects { get; set; }

    /// <summary>Starts on 127.0.0.1 (port 0 = any free port).</summary>
    public static async Task<FakeEurekaServer> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        var app = builder.Build();
        var server = new FakeEurekaServer(app);
        server.Map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUri = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>Requests matching a method and a path prefix.</summary>
    public IReadOnlyList<RecordedRequest> Find(string method, string pathPrefix) =>
        Requests.Where(r => r.Method == method && r.Path.StartsWith(pathPrefix, StringComparison.OrdinalIgnoreCase)).ToList();

    /// <summary>Adds (or replaces) an instance, as if it had registered.</summary>
    public void AddInstance(string app, string instanceId, string host, int port, string status = "UP")
    {
        var json = new JsonObject
        {
            ["instanceId"] = instanceId,
            ["hostName"] = host,
            ["app"] = app.ToUpperInvariant(),
            ["ipAddr"] = host,
            ["status"] = status,
            ["overriddenStatus"] = "UNKNOWN",
            ["port"] = new JsonObject { ["$"] = port, ["@enabled"] = "true" },
            ["securePort"] = new JsonObject { ["$"] = 443, ["@enabled"] = "false" },
            ["dataCenterInfo"] = new JsonObject { ["@class"] = "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo", ["name"] = "MyOwn" },
            ["leaseInfo"] = new JsonObject { ["renewalIntervalInSecs"] = 30, ["durationInSecs"] = 90 },
            ["metadata"] = new JsonObject { ["zone"] = "z1" },
        };
        Upsert(app, json, "ADDED");
    }

    /// <summary>Changes an instance's status (a MODIFIED delta entry).</summary>
    public void SetStatus(string app, string instanceId, string status)
    {
        lock (_lock)
        {
            var i = _apps[app][instanceId];
            i["status"] = status;
            Touch(app.ToUpperInvariant(), instanceId, "MODIFIED", i);
        }
    }

    /// <summary>Removes an instance (a DELETED delta entry).</summary>
    public bool Remove(string app, string instanceId)
    {
        lock (_lock)
        {
            if (_apps.TryGetValue(app, out var a) && a.Remove(instanceId, out var i))
            {
                if (a.Count == 0)
                {
                    _apps.Remove(app);
                }
                Touch(app.ToUpperInvariant(), instanceId, "DELETED", i);
                return true;
            }
            return false;
        }
    }

    /// <summary>Forgets everything without a trace in the delta queue, as a restarted server would.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _apps.Clear();
            _recent.Clear();
        }
    }

    /// <summary>Whether an instance is registered.</summary>
    public bool Contains(string app, string instanceId)
    {
        lock (_lock)
        {
            return _apps.TryGetValue(app, out var a) && a.ContainsKey(instanceId);
        }
    }

    /// <summary>Makes the next delta report this hash code instead of the true one.</summary>
    public void LieAboutNextDeltaHashCode(string hashCode) => _nextDeltaHashCode = hashCode;

    private void Map(WebApplication app)
    {
        app.Use(async (ctx, next) =>
        {
            ctx.Request.EnableBuffering();
            using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8, leaveOpen: true);
            var body = await reader.ReadToEndAsync();
            ctx.Request.Body.Position = 0;
            Requests.Enqueue(new RecordedRequest(ctx.Request.Method, ctx.Request.Path.Value ?? "", ctx.Request.QueryString.Value ?? "",
                body, ctx.Request.ContentType, Stopwatch.GetTimestamp(), ctx.Request.Headers.Authorization.ToString()));
            if (Unavailable)
            {
                ctx.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }
            await next(ctx);
        });
        app.MapGet("/eureka/apps/delta", () => DeltaDisabled ? Results.StatusCode(StatusCodes.Status403Forbidden) : Results.Text(Document(delta: true), "application/json"));
        app.MapGet("/eureka/apps", () => Results.Text(Document(delta: false), "application/json"));
        app.MapGet("/eureka/apps/{app}", (string app) => Results.Text(Document(delta: false, only: app), "application/json"));
        app.MapPost("/eureka/apps/{app}", async (string app, HttpRequest request) =>
        {
            JsonObject? instance;
            try
            {
                instance = (await JsonNode.ParseAsync(request.Body))?["instance"] as JsonObject;
            }
            catch (JsonException)
            {
                return Results.BadRequest();
            }
            if (instance?["hostName"] is null)
            {
                return Results.BadRequest();
            }
            instance["instanceId"] ??= instance["hostName"]!.GetValue<string>();
            Upsert(app, instance, "ADDED");
            return Results.NoContent();
        });
        app.MapPut("/eureka/apps/{app}/{id}", (string app, string id) => Contains(app, id) ? Results.Ok() : Results.NotFound());
        app.MapDelete("/eureka/apps/{app}/{id}", (string app, string id) => Remove(app, id) ? Results.Ok() : Results.NotFound());
    }

    private void Upsert(string app, JsonObject instance, string action)
    {
        lock (_lock)
        {
            if (!_apps.TryGetValue(app, out var a))
            {
                a = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
                _apps[app] = a;
            }
            var id = instance["instanceId"]!.GetValue<string>();
            a[id] = instance;
            Touch(app.ToUpperInvariant(), id, action, instance);
        }
    }

    private void Touch(string app, string id, string action, JsonObject instance)
    {
        _recent[id] = (app, action, instance);
        _version++;
    }

    private string Document(bool delta, string? only = null)
    {
        lock (_lock)
        {
            var byApp = new SortedDictionary<string, List<JsonObject>>(StringComparer.Ordinal);
            if (delta)
            {
                foreach (var (_, (app, action, instance)) in _recent)
                {
                    var copy = instance.DeepClone().AsObject();
                    copy["actionType"] = action;
                    Add(byApp, app, copy);
                }
            }
            else
            {
                foreach (var (app, instances) in _apps)
                {
                    if (only is null || string.Equals(only, app, StringComparison.OrdinalIgnoreCase))
                    {
                        foreach (var i in instances.Values)
                        {
                            Add(byApp, app.ToUpperInvariant(), i.DeepClone().AsObject());
                        }
                    }
                }
            }
            var hash = HashCode();
            if (delta && _nextDeltaHashCode is { } lie)
            {
                hash = lie;
                _nextDeltaHashCode = null;
            }
            var applications = new JsonArray();
            foreach (var (app, list) in byApp)
            {
                applications.Add(new JsonObject { ["name"] = app, ["instance"] = Many(list) });
            }
            var root = new JsonObject
            {
                ["applications"] = new JsonObject
                {
                    ["versions__delta"] = _version.ToString(CultureInfo.InvariantCulture),
                    ["apps__hashcode"] = hash,
                    ["application"] = SingleItemsAsObjects && applications.Count == 1 ? applications[0]!.DeepClone() : applications,
                },
            };
            return root.ToJsonString();
        }
    }

    private JsonNode Many(List<JsonObject> list)
    {
        if (SingleItemsAsObjects && list.Count == 1)
        {
            return list[0];
        }
        var array = new JsonArray();
        foreach (var i in list)
        {
            array.Add(i);
        }
        return array;
    }

    private static void Add(SortedDictionary<string, List<JsonObject>> byApp, string app, JsonObject instance)
    {
        if (!byApp.TryGetValue(app, out var list))
        {
            list = [];
            byApp[app] = list;
        }
        list.Add(instance);
    }

    // Eureka's reconcile hash: {STATUS}_{count}_ per status in ordinal order.
    private string HashCode()
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var i in _apps.Values.SelectMany(a => a.Values))
        {
            var s = i["status"]?.GetValue<string>() ?? "UNKNOWN";
            counts[s] = counts.GetValueOrDefault(s) + 1;
        }
        return string.Concat(counts.Select(c => $"{c.Key}_{c.Value.ToString(CultureInfo.InvariantCulture)}_"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One request the fake received.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, string Body, string? ContentType, long Timestamp, string Authorization = "")
{
    /// <summary>When it arrived, on the <see cref="Stopwatch"/> clock.</summary>
    public TimeSpan At => Stopwatch.GetElapsedTime(0, Timestamp);
}
