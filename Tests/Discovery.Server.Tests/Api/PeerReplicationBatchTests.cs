using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Api;

public sealed class PeerReplicationBatchTests : InProcessRegistryTest
{
    [Fact]
    public async Task Batch_RegisterHeartbeatStatusCancel_AppliedInOrderWithPerItemStatus()
    {
        var instance = JsonBody("batched", "b1:batched:80")["instance"]!.DeepClone();
        var batch = new JsonObject
        {
            ["replicationList"] = new JsonArray
            {
                new JsonObject { ["action"] = "Register", ["appName"] = "BATCHED", ["id"] = "b1:batched:80", ["instanceInfo"] = instance },
                new JsonObject { ["action"] = "Heartbeat", ["appName"] = "BATCHED", ["id"] = "b1:batched:80", ["status"] = "UP" },
                new JsonObject { ["action"] = "Heartbeat", ["appName"] = "BATCHED", ["id"] = "unknown" },
                new JsonObject { ["action"] = "StatusUpdate", ["appName"] = "BATCHED", ["id"] = "b1:batched:80", ["status"] = "OUT_OF_SERVICE", ["lastDirtyTimestamp"] = 1 },
                new JsonObject { ["action"] = "Cancel", ["appName"] = "BATCHED", ["id"] = "gone" },
            },
        };
        using var content = new StringContent(batch.ToJsonString(), Encoding.UTF8, "application/json");
        var response = await Http.PostAsync("/eureka/peerreplication/batch/", content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var codes = doc.RootElement.GetProperty("responseList").EnumerateArray().Select(r => r.GetProperty("statusCode").GetInt32());
        Assert.Equal([200, 200, 404, 200, 404], codes);
        using var registered = await GetJsonAsync(Http, "/eureka/apps/BATCHED/b1:batched:80");
        Assert.Equal("OUT_OF_SERVICE", registered.RootElement.GetProperty("instance").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Batch_Malformed_400AndNothingChanged()
    {
        using var content = new StringContent("{\"replicationList\": 5}", Encoding.UTF8, "application/json");
        var response = await Http.PostAsync("/eureka/v2/peerreplication/batch", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var apps = await GetJsonAsync(Http, "/eureka/apps");
        Assert.Equal(0, apps.RootElement.GetProperty("applications").GetProperty("application").GetArrayLength());
    }
}
