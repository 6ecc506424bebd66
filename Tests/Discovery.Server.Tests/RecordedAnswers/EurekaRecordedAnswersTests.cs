using System.Net.Http.Headers;
using System.Text;
using Infrastructure.Testing;

namespace Infrastructure.Discovery.Server.Tests.RecordedAnswers;

/// <summary>
/// Every Eureka read, in JSON and XML, and the error answers, compared byte for byte with the answers recorded in
/// <c>RecordedAnswers/eureka/</c> and <c>RecordedAnswers/spring-errors/</c> (re-record with <c>RECORD_ANSWERS=1</c>). The server runs on a fake clock, so even the
/// timestamps are fixed and nothing needs normalising.
/// </summary>
public sealed class EurekaRecordedAnswersTests : InProcessRegistryTest
{
    private const string Folder = "Tests/Discovery.Server.Tests/RecordedAnswers";

    // Amazon data center, secure port on, short lease, every optional field, metadata that XML must encode or clean.
    private const string OrdersOne = """
        {"instance":{"instanceId":"orders-1:orders:8080","hostName":"orders-1.example.com","app":"orders","appGroupName":"shop",
        "ipAddr":"10.0.0.1","sid":"s-1","status":"UP","overriddenStatus":"UNKNOWN",
        "port":{"$":8080,"@enabled":"true"},"securePort":{"$":8443,"@enabled":"true"},"countryId":2,
        "dataCenterInfo":{"@class":"com.netflix.appinfo.AmazonInfo","name":"Amazon","metadata":{"instance-id":"i-0abc","availability-zone":"eu-west-1a","public-hostname":"ec2-1.compute.amazonaws.com","local-ipv4":"10.0.0.1"}},
        "leaseInfo":{"renewalIntervalInSecs":10,"durationInSecs":30},
        "metadata":{"zone":"eu-west-1a","management.port":"8081","my key":"spaced","1st":"digit","ctl":"a\u0001b","quote":"\"<&>\"","unicode":"héllo ✓"},
        "homePageUrl":"http://orders-1.example.com:8080/","statusPageUrl":"http://orders-1.example.com:8080/actuator/info",
        "healthCheckUrl":"http://orders-1.example.com:8080/actuator/health","secureHealthCheckUrl":"https://orders-1.example.com:8443/actuator/health",
        "vipAddress":"orders","secureVipAddress":"orders-secure","asgName":"orders-asg","isCoordinatingDiscoveryServer":"false",
        "lastUpdatedTimestamp":"1","lastDirtyTimestamp":"1767225600000"}}
        """;

    // Registered in XML, as Netflix's own client does by default: MyOwn data center, defaults for what is left out.
    private const string OrdersTwo = """
        <instance><instanceId>orders-2:orders:8080</instanceId><hostName>orders-2.example.com</hostName><app>ORDERS</app>
        <ipAddr>10.0.0.2</ipAddr><status>UP</status><overriddenstatus>UNKNOWN</overriddenstatus>
        <port enabled="true">8080</port><securePort enabled="false">443</securePort><countryId>1</countryId>
        <dataCenterInfo class="com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo"><name>MyOwn</name></dataCenterInfo>
        <leaseInfo><renewalIntervalInSecs>30</renewalIntervalInSecs><durationInSecs>90</durationInSecs></leaseInfo>
        <metadata class="java.util.Collections$EmptyMap"/>
        <vipAddress>orders,orders-v2</vipAddress><isCoordinatingDiscoveryServer>false</isCoordinatingDiscoveryServer>
        <lastDirtyTimestamp>1767225600000</lastDirtyTimestamp></instance>
        """;

    // A bare instance object without wrapper, no port, no instance id: the host name becomes the id.
    private const string Billing = """
        {"hostName":"billing-1","app":"billing","ipAddr":"10.0.1.1","status":"STARTING","vipAddress":"billing","secureVipAddress":"billing-secure",
        "dataCenterInfo":{"@class":"com.netflix.appinfo.MyDataCenterInfo","name":"MyOwn"},"metadata":{}}
        """;

    private readonly Infrastructure.Testing.RecordedAnswers _answers = new(Folder + "/eureka");

    [Fact]
    public async Task EurekaAnswers_MatchRecorded()
    {
        var time = Factory.Time;
        await PostAsync("register/orders-1", "/eureka/apps/ORDERS", OrdersOne, "application/json");
        time.Advance(TimeSpan.FromSeconds(1));
        await PostAsync("register/orders-2", "/eureka/v2/apps/orders", OrdersTwo, "application/xml");
        time.Advance(TimeSpan.FromSeconds(1));
        await PostAsync("register/billing", "/eureka/apps/billing", Billing, "application/json");
        time.Advance(TimeSpan.FromSeconds(1));
        await SendAsync("write/status-override", HttpMethod.Put, "/eureka/apps/BILLING/billing-1/status?value=OUT_OF_SERVICE&lastDirtyTimestamp=1767225605000");
        time.Advance(TimeSpan.FromSeconds(1));
        await SendAsync("write/metadata", HttpMethod.Put, "/eureka/apps/ORDERS/orders-2:orders:8080/metadata?version=2&zone=b");
        time.Advance(TimeSpan.FromSeconds(1));
        await SendAsync("write/renew", HttpMethod.Put, "/eureka/apps/ORDERS/orders-1:orders:8080?status=UP&lastDirtyTimestamp=1767225600000");
        time.Advance(TimeSpan.FromSeconds(1));

        foreach (var (format, accept) in ((string, string)[])[("json", "application/json"), ("xml", "application/xml"), ("default", "")])
        {
            await GetAsync($"read-{format}/apps", "/eureka/apps", accept);
            await GetAsync($"read-{format}/apps-v2", "/eureka/v2/apps/", accept);
            await GetAsync($"read-{format}/app", "/eureka/apps/ORDERS", accept);
            await GetAsync($"read-{format}/app-lower-case", "/eureka/apps/billing", accept);
            await GetAsync($"read-{format}/app-instance", "/eureka/apps/ORDERS/orders-1:orders:8080", accept);
            await GetAsync($"read-{format}/app-instance-xml-registered", "/eureka/apps/ORDERS/orders-2:orders:8080", accept);
            await GetAsync($"read-{format}/instance", "/eureka/instances/billing-1", accept);
            await GetAsync($"read-{format}/delta", "/eureka/apps/delta", accept);
            await GetAsync($"read-{format}/vip", "/eureka/vips/orders", accept);
            await GetAsync($"read-{format}/vip-second", "/eureka/vips/orders-v2", accept);
            await GetAsync($"read-{format}/svip", "/eureka/svips/orders-secure", accept);
            await GetAsync($"read-{format}/vip-none", "/eureka/vips/nobody", accept);
            await GetAsync($"read-{format}/unknown-app", "/eureka/apps/NOPE", accept);
            await GetAsync($"read-{format}/unknown-instance", "/eureka/apps/ORDERS/nope", accept);
            await GetAsync($"read-{format}/unknown-instance-id", "/eureka/instances/nope", accept);
        }

        using (var conflict = new HttpRequestMessage(HttpMethod.Put, "/eureka/apps/ORDERS/orders-1:orders:8080?status=UP&lastDirtyTimestamp=1"))
        {
            conflict.Headers.Add("x-netflix-discovery-replication", "true");
            conflict.Headers.Accept.ParseAdd("application/json");
            await SendAsync("write/renew-conflict", conflict);
        }
        await SendAsync("write/renew-unknown", HttpMethod.Put, "/eureka/apps/ORDERS/nope?status=UP");
        await SendAsync("write/renew-bad-dirty", HttpMethod.Put, "/eureka/apps/ORDERS/orders-1:orders:8080?lastDirtyTimestamp=soon");
        await SendAsync("write/status-bad-value", HttpMethod.Put, "/eureka/apps/ORDERS/orders-1:orders:8080/status?value=SIDEWAYS");
        await SendAsync("write/metadata-none", HttpMethod.Put, "/eureka/apps/ORDERS/orders-1:orders:8080/metadata");

        await PostAsync("bad/json-syntax", "/eureka/apps/ORDERS", "{\"instance\":{\"hostName\":", "application/json");
        await PostAsync("bad/json-not-object", "/eureka/apps/ORDERS", "[1,2]", "application/json");
        await PostAsync("bad/json-invalid-utf8", "/eureka/apps/ORDERS", null, "application/json", [.. "{\"instance\":{\"hostName\":\"h"u8, 0xFF, .. "\"}}"u8]);
        await PostAsync("bad/missing-host", "/eureka/apps/ORDERS", "{\"instance\":{\"app\":\"ORDERS\",\"ipAddr\":\"1.2.3.4\"}}", "application/json");
        await PostAsync("bad/mismatched-app", "/eureka/apps/ORDERS", "{\"instance\":{\"app\":\"OTHER\",\"hostName\":\"h\",\"ipAddr\":\"1.2.3.4\"}}", "application/json");
        await PostAsync("bad/port-not-number", "/eureka/apps/ORDERS", "{\"instance\":{\"app\":\"ORDERS\",\"hostName\":\"h\",\"ipAddr\":\"1.2.3.4\",\"port\":{\"$\":\"x\"}}}", "application/json");
        await PostAsync("bad/lease-not-number", "/eureka/apps/ORDERS", "<instance><app>ORDERS</app><hostName>h</hostName><ipAddr>1.2.3.4</ipAddr><leaseInfo><durationInSecs>9999999999</durationInSecs></leaseInfo></instance>", "application/xml");
        await PostAsync("bad/xml-syntax", "/eureka/apps/ORDERS", "<instance><app>ORDERS</app>", "application/xml");
        await PostAsync("bad/xml-dtd", "/eureka/apps/ORDERS", "<!DOCTYPE instance [<!ENTITY x \"y\">]><instance/>", "application/xml");
        await PostAsync("bad/xml-wrong-root", "/eureka/apps/ORDERS", "<application/>", "application/xml");
        await PostAsync("bad/empty-body", "/eureka/apps/ORDERS", "", "application/json");
        await PostAsync("bad/delta-app", "/eureka/apps/delta", Billing, "application/json");
        await PostAsync("batch/malformed", "/eureka/peerreplication/batch", "{\"replicationList\":5}", "application/json");
        await PostAsync("batch/mixed", "/eureka/peerreplication/batch/", """
            {"replicationList":[
            {"action":"Heartbeat","appName":"ORDERS","id":"orders-1:orders:8080","status":"UP","lastDirtyTimestamp":1},
            {"action":"Heartbeat","appName":"ORDERS","id":"unknown"},
            {"action":"StatusUpdate","appName":"ORDERS","id":"orders-2:orders:8080","status":"DOWN","lastDirtyTimestamp":1767225609000},
            {"action":"Cancel","appName":"BILLING","id":"billing-1"},
            {"action":"Register","appName":"X","id":"x","instanceInfo":{"hostName":"x"}},
            {"action":"Jump"}]}
            """, "application/json");
        time.Advance(TimeSpan.FromSeconds(1));
        await GetAsync("after-batch/delta-json", "/eureka/apps/delta", "application/json");
        await GetAsync("after-batch/delta-xml", "/eureka/apps/delta", "application/xml");
        await GetAsync("after-batch/apps-json", "/eureka/apps", "application/json");

        _answers.AssertAllMatch();
    }

    [Fact]
    public async Task SpringErrors_SecuredRegistry_MatchRecorded()
    {
        await using var secured = new EurekaServerFactory();
        secured.Settings["Eureka:Server:Security:Enabled"] = "true";
        secured.Settings["Spring:Security:User:Name"] = "eureka";
        secured.Settings["Spring:Security:User:Password"] = "s3cret";
        using var http = secured.CreateClient();
        var answers = new Infrastructure.Testing.RecordedAnswers(Folder + "/spring-errors");

        using (var r = await http.GetAsync("/eureka/apps"))
        {
            await answers.CheckAsync("read-no-credentials", r);
        }
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/eureka/apps/ORDERS") { Content = new StringContent(Billing, Encoding.UTF8, "application/json") })
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("eureka:wrong")));
            using var r = await http.SendAsync(request);
            await answers.CheckAsync("write-wrong-password", r);
        }
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/eureka/apps"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("eureka:s3cret")));
            request.Headers.Accept.ParseAdd("application/json");
            using var r = await http.SendAsync(request);
            await answers.CheckAsync("read-with-credentials", r);
        }
        answers.AssertAllMatch();
    }

    private async Task GetAsync(string name, string path, string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accept.Length > 0)
        {
            request.Headers.Accept.ParseAdd(accept);
        }
        await SendAsync(name, request);
    }

    private async Task PostAsync(string name, string path, string? body, string contentType, byte[]? raw = null)
    {
        using var content = new ByteArrayContent(raw ?? Encoding.UTF8.GetBytes(body!));
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        await SendAsync(name, request);
    }

    private async Task SendAsync(string name, HttpMethod method, string path)
    {
        using var request = new HttpRequestMessage(method, path);
        await SendAsync(name, request);
    }

    private async Task SendAsync(string name, HttpRequestMessage request)
    {
        using var response = await Http.SendAsync(request);
        await _answers.CheckAsync(name, response);
    }
}
