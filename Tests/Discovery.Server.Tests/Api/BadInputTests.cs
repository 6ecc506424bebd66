using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Api;

public sealed class BadInputTests : IAsyncLifetime
{
    private readonly EurekaServerFactory _factory = new();
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _http = _factory.CreateClient();
        Assert.Equal(HttpStatusCode.NoContent, (await RegisterAsync(_http, "existing", "e1")).StatusCode);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
    }

    public static TheoryData<string, string, string> MalformedBodies => new()
    {
        { "application/json", "{\"instance\": {\"hostName\": ", "Malformed JSON" },
        { "application/json", "[1,2,3]", "Malformed registration" },
        { "application/json", "{\"instance\": 42}", "Malformed registration" },
        { "application/xml", "<instance><hostName>h</hostName>", "Malformed XML" },
        { "application/xml", "<application><name>X</name></application>", "expected root element <instance>" },
        { "application/xml", "<!DOCTYPE x [<!ENTITY e \"boom\">]><instance><hostName>&e;</hostName></instance>", "Malformed XML" },
        { "text/plain", "not a body at all", "Malformed JSON" },
        { "application/json", "", "Missing request body" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Register_MalformedBody_400WithMessageAndNothingChanged(string contentType, string body, string expected)
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        var response = await _http.PostAsync("/eureka/apps/BROKEN", content);

        await AssertRejectedAsync(response, expected);
    }

    // Only what Eureka itself refuses (or one of its codecs cannot read); what it accepts is in EurekaLeniencyTests.
    public static TheoryData<string, string?, string> BadFields => new()
    {
        { "app", null, "Missing appName" },
        { "hostName", null, "Missing hostName" },
        { "ipAddr", "  ", "Missing ipAddr" },
        { "port", "{\"$\":\"eighty\",\"@enabled\":\"true\"}", "port must be an integer" },
        { "port", "{\"$\":99999999999,\"@enabled\":\"true\"}", "port must be an integer" },
        { "leaseInfo", "{\"renewalIntervalInSecs\":30,\"durationInSecs\":99999999999}", "leaseInfo.durationInSecs must be a 32-bit integer" },
        { "leaseInfo", "{\"renewalIntervalInSecs\":\"soon\"}", "leaseInfo.renewalIntervalInSecs" },
        { "countryId", "\"first\"", "countryId must be an integer" },
    };

    [Theory]
    [MemberData(nameof(BadFields))]
    public async Task Register_MissingOrAbsurdField_400WithMessageAndNothingChanged(string field, string? json, string expected)
    {
        var body = JsonBody("BROKEN", "b1");
        var instance = body["instance"]!.AsObject();
        if (json is null)
        {
            instance.Remove(field);
        }
        else
        {
            instance[field] = JsonNode.Parse(json.StartsWith('{') || json.StartsWith('"') || char.IsDigit(json[0]) ? json : JsonValue.Create(json).ToJsonString());
        }
        using var content = Content(body);
        var response = await _http.PostAsync("/eureka/apps/BROKEN", content);

        await AssertRejectedAsync(response, expected);
    }

    [Fact]
    public async Task Register_AppNameMismatch_400()
    {
        using var content = Content(JsonBody("OTHER", "o1"));
        await AssertRejectedAsync(await _http.PostAsync("/eureka/apps/BROKEN", content), "Mismatched appName");
    }

    [Fact]
    public async Task Register_OversizedBody_400()
    {
        var body = JsonBody("BROKEN", "big");
        body["instance"]!["metadata"] = new JsonObject { ["blob"] = new string('x', 300 * 1024) };
        using var content = Content(body);
        await AssertRejectedAsync(await _http.PostAsync("/eureka/apps/BROKEN", content), "larger than");
    }

    [Fact]
    public async Task Renew_NonNumericDirtyTimestamp_400()
    {
        var response = await _http.PutAsync("/eureka/apps/EXISTING/e1?lastDirtyTimestamp=abc", null);
        await AssertRejectedAsync(response, "lastDirtyTimestamp");
    }

    private async Task AssertRejectedAsync(HttpResponseMessage response, string expectedMessage)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expectedMessage, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var apps = await GetJsonAsync(_http, "/eureka/apps");
        var names = apps.RootElement.GetProperty("applications").GetProperty("application").EnumerateArray()
            .Select(a => a.GetProperty("name").GetString()).ToList();
        Assert.Equal(["EXISTING"], names);
        Assert.Equal(HttpStatusCode.OK, (await _http.PutAsync("/eureka/apps/EXISTING/e1", null)).StatusCode);
    }
}
