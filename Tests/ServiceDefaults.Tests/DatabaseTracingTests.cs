using System.Text.Json;
using Infrastructure.ServiceDefaults.Telemetry;
using Infrastructure.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using OpenTelemetry.Trace;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Infrastructure.ServiceDefaults.Tests;

/// <summary>PostgreSQL (Npgsql) and Redis (StackExchange.Redis) commands made while serving a request are exported as its child spans.</summary>
public sealed class DatabaseTracingTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RequestUsingPostgresAndRedis_ExportsNpgsqlAndRedisClientSpansUnderTheServerSpan()
    {
        await using var receiver = await ZipkinCollector.StartAsync();
        await using var db = NpgsqlDataSource.Create(TestDependencies.Postgres);
        // Web.Bff's way: the multiplexer is a DI singleton, traced without any call.
        await using var registered = await ConnectionMultiplexer.ConnectAsync(TestDependencies.Redis);
        var marker = "span-" + Guid.NewGuid().ToString("N");
        ConnectionMultiplexer? created = null;
        await using var service = await LoopbackApps.StartServiceAsync(
            new Dictionary<string, string?>
            {
                ["OTEL_SERVICE_NAME"] = "db-user",
                ["Tracing:Zipkin:Endpoint"] = receiver.Endpoint.ToString(),
            },
            app => app.MapGet("/work", async (IConnectionMultiplexer fromDi) =>
            {
                await using (var cmd = db.CreateCommand($"SELECT '{marker}'"))
                {
                    await cmd.ExecuteScalarAsync();
                }
                await fromDi.GetDatabase().StringSetAsync("t:" + marker, "1", TimeSpan.FromMinutes(1));
                await created!.GetDatabase().StringGetAsync("t:" + marker);
                return "done";
            }),
            builder => builder.Services.AddSingleton<IConnectionMultiplexer>(registered));
        // The gateway's way: a connection made on first use, outside DI, handed to the instrumentation.
        await using var tracked = await RedisTracing.ConnectAsync(TestDependencies.Redis);
        created = tracked;

        var traceId = Guid.NewGuid().ToString("N");
        using var client = LoopbackApps.UninstrumentedClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(service.BaseUri(), "work"));
        request.Headers.Add("traceparent", $"00-{traceId}-aaaabbbbccccdddd-01");
        (await client.SendAsync(request)).EnsureSuccessStatusCode();

        // Redis spans are made when the profiler is drained (every second), then exported with the next batch.
        service.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000);
        await receiver.WaitForAsync(s => s.GetProperty("traceId").GetString() == traceId && Tag(s, "db.system") == "redis", 2);
        service.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000);
        var spans = receiver.Trace(traceId);
        foreach (var s in spans) { output.WriteLine(s.GetRawText()); }

        var server = Assert.Single(spans, s => s.GetProperty("kind").GetString() == "SERVER");
        var serverId = server.GetProperty("id").GetString();
        // Npgsql 10 speaks the newer database conventions (db.system.name, db.query.text); it also traces the physical open.
        var npgsql = Assert.Single(spans, s => IsClient(s) && Tag(s, "db.system.name") == "postgresql" && Tag(s, "db.query.text") is not null);
        Assert.Equal(serverId, npgsql.GetProperty("parentId").GetString());
        Assert.Equal($"SELECT '{marker}'", Tag(npgsql, "db.query.text"));
        Assert.Contains("Port=" + Tag(npgsql, "server.port"), TestDependencies.Postgres, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("db-user", npgsql.GetProperty("localEndpoint").GetProperty("serviceName").GetString());

        var redis = spans.Where(s => IsClient(s) && Tag(s, "db.system") == "redis").ToList();
        Assert.Equal(2, redis.Count);
        Assert.All(redis, s => Assert.Equal(serverId, s.GetProperty("parentId").GetString()));
        Assert.Contains(redis, s => Tag(s, "db.statement") == "SETEX");
        Assert.Contains(redis, s => Tag(s, "db.statement") == "GET");
    }

    private static bool IsClient(JsonElement span) => span.TryGetProperty("kind", out var k) && k.GetString() == "CLIENT";

    private static string? Tag(JsonElement span, string name) =>
        span.TryGetProperty("tags", out var tags) && tags.TryGetProperty(name, out var v) ? v.GetString() : null;
}
