using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Api;

/// <summary>Bodies and query values crafted to break parsing or rendering: refused with 400, or stored and still rendered.</summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private const string Controls = "\u0001\u000B\u0000\u001F";
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

    /// <summary>Every string field of a registration carrying characters XML 1.0 cannot hold, and metadata keys that are no XML names.</summary>
    internal static JsonObject ControlCharacterBody(string app, string id)
    {
        var body = JsonBody(app, id, hostName: "evil" + Controls + "host");
        var instance = body["instance"]!.AsObject();
        instance["ipAddr"] = "10.0.0.1" + Controls;
        instance["vipAddress"] = "vip" + Controls;
        instance["secureVipAddress"] = "svip\uFFFE";
        instance["homePageUrl"] = "http://x/" + Controls;
        instance["statusPageUrl"] = "http://x/\uFFFF";
        instance["asgName"] = "asg" + Controls;
        instance["appGroupName"] = "group" + Controls;
        instance["dataCenterInfo"] = new JsonObject { ["@class"] = "cls" + Controls, ["name"] = "MyOwn" + Controls, ["metadata"] = new JsonObject { ["k" + Controls] = "v" + Controls } };
        instance["metadata"] = new JsonObject
        {
            ["key" + Controls] = "value" + Controls,
            [""] = "empty key",
            ["1 not:a name"] = "<&>",
            ["_x0041_"] = "looks encoded",
        };
        return body;
    }

    [Fact]
    public async Task Register_ControlCharactersEverywhere_StoredExactlyInJsonAndRenderedAsValidXml()
    {
        using var content = Content(ControlCharacterBody("evil", "evil1"));

        Assert.Equal(HttpStatusCode.NoContent, (await _http.PostAsync("/eureka/apps/EVIL", content)).StatusCode);

        using var json = await GetJsonAsync(_http, "/eureka/apps/EVIL/evil1");
        var instance = json.RootElement.GetProperty("instance");
        Assert.Equal("evil" + Controls + "host", instance.GetProperty("hostName").GetString());
        Assert.Equal("value" + Controls, instance.GetProperty("metadata").GetProperty("key" + Controls).GetString());
        Assert.Equal("empty key", instance.GetProperty("metadata").GetProperty("").GetString());
        var xml = await GetXmlAsync("/eureka/apps/EVIL/evil1");
        Assert.Equal("evil\uFFFD\uFFFD\uFFFD\uFFFDhost", xml.Root!.Element("hostName")!.Value);
        Assert.Equal("<&>", xml.Root.Element("metadata")!.Element(System.Xml.XmlConvert.EncodeLocalName("1 not:a name"))!.Value);
        Assert.Equal("looks encoded", xml.Root.Element("metadata")!.Elements()
            .Single(e => System.Xml.XmlConvert.DecodeName(e.Name.LocalName) == "_x0041_").Value);
        await AssertRegistryRendersAsync("EVIL", "EXISTING");
    }

    public static TheoryData<string, byte[]> UndecodableBodies => new()
    {
        { "application/json", Bytes("""{"instance":{"app":"BROKEN","hostName":"h""", [0xFF, 0xFE], "\",\"ipAddr\":\"1.1.1.1\",\"port\":80}}") },
        { "application/json", Bytes("""{"instance":{"app":"BROKEN","hostName":"h","ipAddr":"1.1.1.1","port":80,"metadata":{"k""", [0xC3], "\":\"v\"}}}") },
        { "application/json", Bytes("""{"instance":{"app":"BROKEN","hostName":"h\uD800","ipAddr":"1.1.1.1","port":80}}""") },
        { "application/json", Bytes("""{"instance":{"app":"BROKEN","hostName":"h","ipAddr":"1.1.1.1","port":80,"metadata":{"\uDC00":"v"}}}""") },
        { "application/json", Bytes("""{"instance":{"app":"BROKEN","hostName":"h","ipAddr":"1.1.1.1","port":80,"metadata":{"k":"\uD800\uD800"}}}""") },
        { "application/xml", Bytes("<instance><app>BROKEN</app><hostName>h", [0xFF, 0xC3], "</hostName><ipAddr>1.1.1.1</ipAddr><port>80</port></instance>") },
        { "application/xml", Bytes("<instance><app>BROKEN</app><hostName>h", [0xED, 0xA0, 0x80], "</hostName><ipAddr>1.1.1.1</ipAddr><port>80</port></instance>") },
        { "application/xml", Bytes("<instance><app>BROKEN</app><hostName>h&#1;&#xD800;</hostName><ipAddr>1.1.1.1</ipAddr><port>80</port></instance>") },
        { "application/xml", Bytes("<?xml version=\"1.0\" encoding=\"IBM037\"?><instance><app>BROKEN</app></instance>") },
    };

    [Theory]
    [MemberData(nameof(UndecodableBodies))]
    public async Task Register_InvalidUtf8OrLoneSurrogate_400AndNothingStored(string contentType, byte[] body)
    {
        var response = await PostBytesAsync("/eureka/apps/BROKEN", body, contentType);

        await AssertRejectedAsync(response, "Malformed");
    }

    [Fact]
    public async Task Batch_OneItemWithLoneSurrogate_400AndNoItemApplied()
    {
        var good = JsonBody("batched", "b1")["instance"]!.ToJsonString();
        var body = $$"""
            {"replicationList":[
              {"action":"Register","appName":"BATCHED","id":"b1","instanceInfo":{{good}}},
              {"action":"StatusUpdate","appName":"EXISTING","id":"e1","status":"OUT\uD800"}
            ]}
            """;

        var response = await PostBytesAsync("/eureka/peerreplication/batch/", Encoding.UTF8.GetBytes(body), "application/json");

        await AssertRejectedAsync(response, "Malformed JSON");
    }

    [Fact]
    public async Task Batch_InvalidUtf8_400AndNoItemApplied()
    {
        var good = JsonBody("batched", "b1")["instance"]!.ToJsonString();
        var body = Bytes($$"""{"replicationList":[{"action":"Register","appName":"BATCHED","id":"b1","instanceInfo":{{good}}},{"action":"Cancel","appName":"EXISTING","id":"e""", [0xFF], "\"}]}");

        var response = await PostBytesAsync("/eureka/peerreplication/batch/", body, "application/json");

        await AssertRejectedAsync(response, "Malformed JSON");
    }

    public static TheoryData<string> EntityAttacks => new()
    {
        // Billion laughs: refused at the DOCTYPE, before any expansion.
        """
        <?xml version="1.0"?>
        <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
        <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
        <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
        <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
        <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
        <instance><app>BROKEN</app><hostName>&lol9;</hostName><ipAddr>1.1.1.1</ipAddr><port>80</port></instance>
        """,
        // XXE: an external entity would read a local file into the registry.
        """<?xml version="1.0"?><!DOCTYPE i [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><instance><app>BROKEN</app><hostName>&xxe;</hostName><ipAddr>1.1.1.1</ipAddr><port>80</port></instance>""",
        """<?xml version="1.0"?><!DOCTYPE i [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x.dtd"> %p;]><instance><app>BROKEN</app></instance>""",
        "<instance><app>BROKEN</app><hostName>&undeclared;</hostName><ipAddr>1.1.1.1</ipAddr><port>80</port></instance>",
    };

    [Theory]
    [MemberData(nameof(EntityAttacks))]
    public async Task Register_XmlDtdOrEntity_400AndNothingStored(string xml)
    {
        var response = await PostBytesAsync("/eureka/apps/BROKEN", Encoding.UTF8.GetBytes(xml), "application/xml");

        await AssertRejectedAsync(response, "Malformed XML");
    }

    public static TheoryData<string, string> DeeplyNested => new()
    {
        { "application/json", "{\"instance\":{\"app\":\"BROKEN\",\"hostName\":\"h\",\"ipAddr\":\"1\",\"port\":80,\"metadata\":{\"k\":" + new string('[', 5000) + new string(']', 5000) + "}}}" },
        { "application/xml", "<instance><app>BROKEN</app><hostName>h</hostName><ipAddr>1</ipAddr><port>80</port><metadata><k>" + string.Concat(Enumerable.Repeat("<a>", 20_000)) + string.Concat(Enumerable.Repeat("</a>", 20_000)) + "</k></metadata></instance>" },
    };

    [Theory]
    [MemberData(nameof(DeeplyNested))]
    public async Task Register_DeeplyNestedDocument_400AndNothingStored(string contentType, string body)
    {
        var response = await PostBytesAsync("/eureka/apps/BROKEN", Encoding.UTF8.GetBytes(body), contentType);

        await AssertRejectedAsync(response, "Malformed");
    }

    [Fact]
    public async Task Register_OversizedXmlBody_400()
    {
        var xml = "<instance><app>BROKEN</app><hostName>" + new string('x', 300 * 1024) + "</hostName><ipAddr>1</ipAddr></instance>";

        var response = await PostBytesAsync("/eureka/apps/BROKEN", Encoding.UTF8.GetBytes(xml), "application/xml");

        await AssertRejectedAsync(response, "larger than");
    }

    [Fact]
    public async Task Batch_OverItsLimit_400AndNothingApplied()
    {
        await using var factory = new EurekaServerFactory { Settings = { ["Eureka:Server:MaxRequestBodyBytes"] = "1024" } };
        using var http = factory.CreateClient();
        var instance = JsonBody("batched", "b1")["instance"]!.DeepClone().AsObject();
        instance["metadata"] = new JsonObject { ["blob"] = new string('x', 70 * 1024) };
        var batch = new JsonObject { ["replicationList"] = new JsonArray { new JsonObject { ["action"] = "Register", ["appName"] = "BATCHED", ["id"] = "b1", ["instanceInfo"] = instance } } };
        using var content = new StringContent(batch.ToJsonString(), Encoding.UTF8, "application/json");

        var response = await http.PostAsync("/eureka/peerreplication/batch/", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("larger than 65536 bytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var apps = await GetJsonAsync(http, "/eureka/apps");
        Assert.Equal(0, apps.RootElement.GetProperty("applications").GetProperty("application").GetArrayLength());
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("UP,DOWN")]
    [InlineData("1")]
    [InlineData("%00UP")]
    [InlineData("UP%01")]
    [InlineData("%ED%A0%80")]
    [InlineData("")]
    public async Task StatusOverride_HostileValue_400AndStatusUnchanged(string value)
    {
        var put = await _http.PutAsync($"/eureka/apps/EXISTING/e1/status?value={value}", null);
        var delete = await _http.DeleteAsync($"/eureka/apps/EXISTING/e1/status?value={value}");

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal(value.Length == 0 ? HttpStatusCode.OK : HttpStatusCode.BadRequest, delete.StatusCode);
        using var doc = await GetJsonAsync(_http, "/eureka/apps/EXISTING/e1");
        Assert.Equal("UP", doc.RootElement.GetProperty("instance").GetProperty("status").GetString());
    }

    [Fact]
    public async Task MetadataOverride_ControlCharactersAndOddKeys_StoredAndRegistryStillRenders()
    {
        var response = await _http.PutAsync("/eureka/apps/EXISTING/e1/metadata?k%01ey=v%00al%0B&1%20not%3Aa%20name=%3C%26%3E&bad%ED%A0%80=x", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = await GetJsonAsync(_http, "/eureka/apps/EXISTING/e1");
        var metadata = json.RootElement.GetProperty("instance").GetProperty("metadata");
        Assert.Equal("v\u0000al\u000B", metadata.GetProperty("k\u0001ey").GetString());
        Assert.Equal("<&>", metadata.GetProperty("1 not:a name").GetString());
        await AssertRegistryRendersAsync("EXISTING");
    }

    [Fact]
    public async Task MetadataOverride_EmptyKey_400()
    {
        var response = await _http.PutAsync("/eureka/apps/EXISTING/e1/metadata?=x", null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private async Task<XDocument> GetXmlAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("application/xml");
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return XDocument.Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>The full registry, the delta and each named application answer 200 with a parseable body in both formats.</summary>
    private async Task AssertRegistryRendersAsync(params string[] apps)
    {
        foreach (var path in apps.Select(a => "/eureka/apps/" + a).Append("/eureka/apps").Append("/eureka/apps/delta"))
        {
            using var json = await GetJsonAsync(_http, path);
            var xml = await GetXmlAsync(path);
            Assert.NotNull(xml.Root);
        }
        using var all = await GetJsonAsync(_http, "/eureka/apps");
        Assert.All(apps, a => Assert.NotEmpty(InstanceIds(all, a)));
    }

    private async Task AssertRejectedAsync(HttpResponseMessage response, string expectedMessage)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expectedMessage, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var apps = await GetJsonAsync(_http, "/eureka/apps");
        var names = apps.RootElement.GetProperty("applications").GetProperty("application").EnumerateArray()
            .Select(a => a.GetProperty("name").GetString()).ToList();
        Assert.Equal(["EXISTING"], names);
        using var existing = await GetJsonAsync(_http, "/eureka/apps/EXISTING/e1");
        Assert.Equal("UP", existing.RootElement.GetProperty("instance").GetProperty("status").GetString());
    }

    private async Task<HttpResponseMessage> PostBytesAsync(string path, byte[] body, string contentType)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return await _http.PostAsync(path, content);
    }

    private static byte[] Bytes(string before, byte[]? raw = null, string after = "") =>
        [.. Encoding.UTF8.GetBytes(before), .. raw ?? [], .. Encoding.UTF8.GetBytes(after)];

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}
