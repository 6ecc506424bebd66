using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Infrastructure.Discovery.Server.Tests.Consul;

/// <summary>With the registry secured, the Consul API takes the password as a Consul ACL token and refuses as Consul does (403).</summary>
public sealed class ConsulSecurityTests
{
    private const string Password = "c0nsul-Token-Pa55";
    private const string Register = """{"ID":"s-1","Name":"secure","Check":{"TTL":"30s"}}""";

    private static EurekaServerFactory Secured(bool protectReads = true)
    {
        var f = new EurekaServerFactory();
        f.Settings["Eureka:Server:Security:Enabled"] = "true";
        f.Settings["Eureka:Server:Security:ProtectReads"] = protectReads ? "true" : "false";
        f.Settings["Spring:Security:User:Name"] = "eureka";
        f.Settings["Spring:Security:User:Password"] = Password;
        return f;
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient http, HttpMethod method, string path, Action<HttpRequestMessage>? credential = null, string? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        credential?.Invoke(request);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Writes_WithoutToken403PermissionDenied_WithWrongToken403AclNotFound()
    {
        await using var f = Secured();
        using var http = f.CreateClient();

        Assert.Equal((HttpStatusCode.Forbidden, "Permission denied"), await SendAsync(http, HttpMethod.Put, "/v1/agent/service/register", body: Register));
        Assert.Equal((HttpStatusCode.Forbidden, "ACL not found"),
            await SendAsync(http, HttpMethod.Put, "/v1/agent/service/register", r => r.Headers.Add("X-Consul-Token", "wrong"), Register));
        Assert.Equal((HttpStatusCode.Forbidden, "ACL not found"), await SendAsync(http, HttpMethod.Put, "/v1/agent/service/register?token=wrong", body: Register));
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(http, HttpMethod.Get, "/v1/health/service/secure")).Status);
    }

    [Theory]
    [InlineData("header")]
    [InlineData("bearer")]
    [InlineData("query")]
    [InlineData("basic")]
    public async Task TheRegistryPassword_IsTheToken_WhereverConsulReadsIt(string where)
    {
        await using var f = Secured();
        using var http = f.CreateClient();
        var query = where == "query" ? "?token=" + Uri.EscapeDataString(Password) : "";
        void Credential(HttpRequestMessage r)
        {
            switch (where)
            {
                case "header":
                    r.Headers.Add("X-Consul-Token", Password);
                    break;
                case "bearer":
                    r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Password);
                    break;
                case "basic":
                    r.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("eureka:" + Password)));
                    break;
            }
        }

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Put, "/v1/agent/service/register" + query, Credential, Register)).Status);
        var (status, body) = await SendAsync(http, HttpMethod.Get, "/v1/health/service/secure" + query, Credential);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("\"s-1\"", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Put, "/v1/agent/service/deregister/s-1" + query, Credential)).Status);
    }

    [Fact]
    public async Task OpenReads_LeaveConsulReadsOpen_ButNotWritesSentAsGet()
    {
        await using var f = Secured(protectReads: false);
        using var http = f.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Put, "/v1/agent/service/register", r => r.Headers.Add("X-Consul-Token", Password), Register)).Status);

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Get, "/v1/health/service/secure")).Status);
        // Older clients deregister and pass checks with GET: still writes, still closed.
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(http, HttpMethod.Get, "/v1/agent/service/deregister/s-1")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(http, HttpMethod.Get, "/v1/agent/check/pass/service:s-1")).Status);
        Assert.Contains("\"s-1\"", (await SendAsync(http, HttpMethod.Get, "/v1/agent/services")).Body, StringComparison.Ordinal);
    }
}
