using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Infrastructure.ServiceDefaults.Tests;

public sealed class OtlpLogExportTests
{
    private sealed record Received(string Path, string? ContentType, byte[] Body);

    // OTLP field numbers (opentelemetry/proto/collector/logs/v1 and logs/v1).
    private const int ResourceLogs = 1, Resource = 1, ResourceAttributes = 1, ScopeLogs = 2, LogRecords = 2;
    private const int Body = 5, Attributes = 6, TraceIdField = 9, SpanIdField = 10;

    [Fact]
    public async Task OtlpEndpoint_HttpProtobuf_ShipsRequestLogsWithTraceIdAndResource()
    {
        var received = new ConcurrentQueue<Received>();
        await using var collector = await LoopbackApps.StartBareAsync(app => app.MapPost("/{**path}", async (HttpContext ctx) =>
        {
            using var buffer = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(buffer);
            received.Enqueue(new Received(ctx.Request.Path, ctx.Request.ContentType, buffer.ToArray()));
            ctx.Response.ContentType = "application/x-protobuf";
            // An empty Export*ServiceResponse is a zero-length protobuf message.
            return Results.Bytes([], "application/x-protobuf");
        }));
        var marker = Guid.NewGuid().ToString("N");
        await using var service = await LoopbackApps.StartServiceAsync(
            new Dictionary<string, string?>
            {
                ["OTEL_SERVICE_NAME"] = "otlp-logs",
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.BaseUri().ToString().TrimEnd('/'),
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            },
            app => app.MapGet("/work", (ILogger<OtlpLogExportTests> log) =>
            {
                log.LogInformation("Working on {Marker}", marker);
                return "done";
            }));

        var traceId = Guid.NewGuid().ToString("N");
        using var client = LoopbackApps.UninstrumentedClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(service.BaseUri(), "work"));
        request.Headers.Add("traceparent", $"00-{traceId}-aaaabbbbccccdddd-01");
        (await client.SendAsync(request)).EnsureSuccessStatusCode();

        (Received Request, ProtobufMessage Resource, ProtobufMessage Record)? found = null;
        var deadline = DateTime.UtcNow.AddSeconds(45);
        while (found is null && DateTime.UtcNow < deadline)
        {
            found = (from r in received.Where(r => r.Path == "/v1/logs")
                     from rl in ProtobufMessage.Parse(r.Body).Messages(ResourceLogs)
                     from sl in rl.Messages(ScopeLogs)
                     from rec in sl.Messages(LogRecords)
                     where rec.Messages(Body).FirstOrDefault()?.String(1)?.Contains(marker, StringComparison.Ordinal) == true
                     select ((Received, ProtobufMessage, ProtobufMessage)?)(r, rl.Messages(Resource).First(), rec)).FirstOrDefault();
            await Task.Delay(200);
        }

        Assert.NotNull(found);
        var (req, resource, record) = found.Value;
        Assert.Equal("application/x-protobuf", req.ContentType);
        Assert.Equal(Convert.FromHexString(traceId), Assert.Single(record.Bytes(TraceIdField)));
        Assert.Equal(8, Assert.Single(record.Bytes(SpanIdField)).Length);
        var resourceAttributes = resource.StringAttributes(ResourceAttributes);
        Assert.Equal("otlp-logs", resourceAttributes["service.name"]);
        Assert.Equal(ServiceIdentity.InstanceId, resourceAttributes["service.instance.id"]);
        var attributes = record.StringAttributes(Attributes);
        Assert.Equal(marker, attributes["Marker"]);
        Assert.Equal("otlp-logs", attributes["Service"]);

        // Traces take the same route: the SDK's OTLP exporter follows the same endpoint and protocol.
        deadline = DateTime.UtcNow.AddSeconds(30);
        while (!received.Any(r => r.Path == "/v1/traces" && r.Body.AsSpan().IndexOf(Convert.FromHexString(traceId)) >= 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }
        Assert.Contains(received, r => r.Path == "/v1/traces" && r.ContentType == "application/x-protobuf" && r.Body.AsSpan().IndexOf(Convert.FromHexString(traceId)) >= 0);
    }

    [Fact]
    public async Task OtlpEndpoint_NoProtocolSet_ShipsLogsOverGrpcLikeTheSdk()
    {
        // OTLP/gRPC: HTTP/2 POSTs to the service's method path, a 5-byte frame header before the protobuf.
        var received = new ConcurrentQueue<Received>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        await using var collector = builder.Build();
        collector.MapPost("/{**path}", async (HttpContext ctx) =>
        {
            using var buffer = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(buffer);
            received.Enqueue(new Received(ctx.Request.Path, ctx.Request.ContentType, buffer.ToArray()));
            ctx.Response.ContentType = "application/grpc";
            ctx.Response.AppendTrailer("grpc-status", "0");
            await ctx.Response.Body.WriteAsync(new byte[5]);
        });
        await collector.StartAsync();

        var marker = Guid.NewGuid().ToString("N");
        await using var service = await LoopbackApps.StartServiceAsync(
            new Dictionary<string, string?>
            {
                ["OTEL_SERVICE_NAME"] = "otlp-grpc-logs",
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.BaseUri().ToString().TrimEnd('/'),
            },
            app => app.MapGet("/work", (ILogger<OtlpLogExportTests> log) =>
            {
                log.LogInformation("Working on {Marker}", marker);
                return "done";
            }));
        using var client = LoopbackApps.UninstrumentedClient();
        (await client.GetAsync(new Uri(service.BaseUri(), "work"))).EnsureSuccessStatusCode();

        var deadline = DateTime.UtcNow.AddSeconds(45);
        Received? logs;
        while ((logs = received.FirstOrDefault(r => r.Body.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(marker)) >= 0)) is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }
        Assert.NotNull(logs);
        Assert.Equal("/opentelemetry.proto.collector.logs.v1.LogsService/Export", logs.Path);
        Assert.StartsWith("application/grpc", logs.ContentType, StringComparison.Ordinal);
        var resource = ProtobufMessage.Parse(logs.Body[5..]).Messages(ResourceLogs).First().Messages(Resource).First().StringAttributes(ResourceAttributes);
        Assert.Equal("otlp-grpc-logs", resource["service.name"]);
    }
}
