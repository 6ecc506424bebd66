using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Infrastructure.Gateway.Forwarding;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Infrastructure.Gateway.Dashboard;

/// <summary>
/// <c>POST /dashboard/api/chaos/{app}/{instanceId}</c>: the dashboard's fault-injection buttons. The body is the samples' chaos
/// switch body (<c>latencyMs</c>, <c>errorRatio</c>, <c>down</c>; <c>{}</c> heals); it is checked, then sent to
/// <c>POST {instance}/chaos</c> of an instance the registry knows — never to an address the caller chose.
/// </summary>
internal sealed partial class ChaosForwarder(RegistryView registry, IHttpClientFactory clients, ILogger<ChaosForwarder> logger)
{
    public const string ClientName = "gateway-dashboard-chaos";

    public async Task ForwardAsync(HttpContext context, string app, string instanceId)
    {
        if (!context.Request.HasJsonContentType())
        {
            await GatewayErrors.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, "the body must be application/json");
            return;
        }
        JsonObject body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject
                ?? throw new JsonException("the body must be a JSON object");
            Check(body);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            await GatewayErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "invalid chaos settings: " + ex.Message);
            return;
        }
        if (registry.Find(app, instanceId) is not { } instance)
        {
            await GatewayErrors.WriteAsync(context, StatusCodes.Status404NotFound, $"instance '{instanceId}' of '{app}' is not in the registry");
            return;
        }
        var target = new Uri(instance.BaseUri, "chaos");
        LogChaos(app, instanceId, target, body.ToJsonString());
        var http = clients.CreateClient(ClientName);
        try
        {
            using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            using var answer = await http.PostAsync(target, content, context.RequestAborted);
            // The instance's own answer (its settings, or its problem details) goes back as it came.
            context.Response.StatusCode = (int)answer.StatusCode;
            context.Response.ContentType = answer.Content.Headers.ContentType?.ToString() ?? "application/json";
            await answer.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
        catch (TaskCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            await GatewayErrors.WriteAsync(context, StatusCodes.Status504GatewayTimeout, $"{target} did not answer within {http.Timeout.TotalMilliseconds} ms");
        }
        catch (HttpRequestException ex)
        {
            await GatewayErrors.WriteAsync(context, StatusCodes.Status502BadGateway, $"{target} unreachable: {ex.Message}");
        }
    }

    /// <summary>Only the switch's three fields, with their JSON types; the ranges are the instance's to judge.</summary>
    private static void Check(JsonObject body)
    {
        foreach (var (key, value) in body)
        {
            var ok = key switch
            {
                "latencyMs" => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out _),
                "errorRatio" => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number,
                "down" => value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
                _ => throw new JsonException($"unknown field '{key}' (latencyMs, errorRatio, down)"),
            };
            if (!ok)
            {
                throw new JsonException($"'{key}' has the wrong type (latencyMs: integer, errorRatio: number, down: boolean)");
            }
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Dashboard chaos: {App}/{InstanceId} at {Target} set to {Settings}")]
    private partial void LogChaos(string app, string instanceId, Uri target, string settings);
}
