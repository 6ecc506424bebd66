using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Api;

/// <summary>
/// Mutated registration and batch bodies (deterministic seed, bounded count): the server never answers 5xx and the
/// registry stays renderable in both formats whatever was accepted.
/// </summary>
public sealed class RegistrationFuzzTests : InProcessRegistryTest
{
    private const int Seed = 12_061;
    private const int VariantsPerFormat = 300;

    // Text that breaks syntax, escaping or encoding; raw bytes that are not UTF-8.
    private static readonly string[] Tokens =
    [
        "\u0000", "\u0001", "\u000B", "\u001F", "\u007F", "\uFFFE", "\"", "'", "<", ">", "&", "{", "}", "[", "]", ",", ":", "\\",
        "\\u0000", "\\u0001", "\\u000B", "\\uD800", "\\uDFFF", "\\uD800\\u0041", "\\\"", "<![CDATA[", "]]>", "<!DOCTYPE x>", "&#1;", "&#xD800;",
        "&amp;", "&lol;", "<a>", "</a>", "{\"a\":", "null", "-1", "99999999999999999999", "1e400", "true",
    ];

    private static readonly byte[][] RawBytes = [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0x80], [0x00], [0xEF, 0xBB, 0xBF]];


    [Fact]
    public async Task MutatedBodies_NeverAnswer5xx_AndRegistryStillRendersInJsonAndXml()
    {
        var random = new Random(Seed);
        var failures = new List<string>();
        var accepted = 0;
        for (var i = 0; i < VariantsPerFormat; i++)
        {
            foreach (var (contentType, body) in ((string, byte[])[])[("application/json", JsonRegistration(i)), ("application/xml", XmlRegistration(i))])
            {
                var mutated = Mutate(body, random);
                var status = await PostAsync("/eureka/apps/FUZZ", mutated, contentType);
                accepted += status == HttpStatusCode.NoContent ? 1 : 0;
                if (status != HttpStatusCode.NoContent && !IsClientError(status))
                {
                    failures.Add($"{contentType} #{i}: {(int)status} for {Convert.ToBase64String(mutated)}");
                }
            }
            if (i % 3 == 0)
            {
                var mutated = Mutate(Batch(i), random);
                var status = await PostAsync("/eureka/peerreplication/batch/", mutated, "application/json");
                if (status != HttpStatusCode.OK && !IsClientError(status))
                {
                    failures.Add($"batch #{i}: {(int)status} for {Convert.ToBase64String(mutated)}");
                }
            }
        }

        Assert.Empty(failures);
        // Some mutations must get through, or the rendering check below proves nothing about hostile content.
        Assert.True(accepted > 20, $"only {accepted} mutated registrations were accepted");
        foreach (var path in (string[])["/eureka/apps", "/eureka/apps/delta", "/eureka/apps/FUZZ"])
        {
            using var json = await GetJsonAsync(Http, path);
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Accept.ParseAdd("application/xml");
            using var xml = await Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, xml.StatusCode);
            Assert.NotNull(XDocument.Parse(await xml.Content.ReadAsStringAsync()).Root);
        }
    }

    private static bool IsClientError(HttpStatusCode status) => (int)status is >= 400 and < 500;

    private async Task<HttpStatusCode> PostAsync(string path, byte[] body, string contentType)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var response = await Http.PostAsync(path, content);
        return response.StatusCode;
    }

    /// <summary>One to three mutations: byte flips, truncation, inserted tokens or raw bytes, deleted or duplicated ranges.</summary>
    private static byte[] Mutate(byte[] body, Random random)
    {
        var bytes = body.ToList();
        var count = random.Next(1, 4);
        for (var m = 0; m < count && bytes.Count > 0; m++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0:
                    bytes[at] ^= (byte)random.Next(1, 256);
                    break;
                case 1:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 2:
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(Tokens[random.Next(Tokens.Length)]));
                    break;
                case 3:
                    bytes.InsertRange(at, RawBytes[random.Next(RawBytes.Length)]);
                    break;
                case 4:
                    bytes.RemoveRange(at, Math.Min(random.Next(1, 16), bytes.Count - at));
                    break;
                default:
                    var length = Math.Min(random.Next(1, 32), bytes.Count - at);
                    bytes.InsertRange(at, bytes.GetRange(at, length));
                    break;
            }
        }
        return [.. bytes];
    }

    private static byte[] JsonRegistration(int i) => Encoding.UTF8.GetBytes(JsonBody("fuzz", $"f{i}").ToJsonString());

    private static byte[] XmlRegistration(int i) => Encoding.UTF8.GetBytes($"""
        <instance><instanceId>x{i}</instanceId><hostName>host{i}</hostName><app>FUZZ</app><ipAddr>10.0.0.{i % 250}</ipAddr>
        <status>UP</status><port enabled="true">8080</port><securePort enabled="false">443</securePort>
        <dataCenterInfo class="com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo"><name>MyOwn</name></dataCenterInfo>
        <leaseInfo><renewalIntervalInSecs>30</renewalIntervalInSecs><durationInSecs>90</durationInSecs></leaseInfo>
        <metadata><zone>zone1</zone><management.port>8081</management.port></metadata>
        <homePageUrl>http://host{i}:8080/</homePageUrl><vipAddress>fuzz</vipAddress><lastDirtyTimestamp>1000</lastDirtyTimestamp></instance>
        """);

    private static byte[] Batch(int i) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["replicationList"] = new JsonArray
        {
            new JsonObject { ["action"] = "Register", ["appName"] = "FUZZ", ["id"] = $"b{i}", ["instanceInfo"] = JsonBody("fuzz", $"b{i}")["instance"]!.DeepClone() },
            new JsonObject { ["action"] = "StatusUpdate", ["appName"] = "FUZZ", ["id"] = $"b{i}", ["status"] = "OUT_OF_SERVICE", ["lastDirtyTimestamp"] = 1 },
            new JsonObject { ["action"] = "Heartbeat", ["appName"] = "FUZZ", ["id"] = $"b{i}", ["status"] = "UP" },
        },
    }.ToJsonString());
}
