using System.Text;
using Infrastructure.Gateway.Tests.Support;
using Infrastructure.Testing;

namespace Infrastructure.Gateway.Tests.RecordedAnswers;

/// <summary>
/// The Gateway's Spring (WebFlux) error bodies, compared byte for byte with <c>RecordedAnswers/spring-errors/</c>
/// (re-record with <c>RECORD_ANSWERS=1</c>). Normalised: the timestamp, the request id (Kestrel's connection id), the
/// W3C trace id and the port of the unreachable instance, which are different on every run.
/// </summary>
public sealed class GatewayRecordedAnswersTests
{
    [Fact]
    public async Task SpringErrors_MatchRecorded()
    {
        var deadPort = FreePort.Next();
        var routes = new RouteConfig()
            .Instances("nobody-up", $"http://127.0.0.1:{deadPort}")
            .Route("dead", $"http://127.0.0.1:{deadPort}", ["Path=/dead/**"])
            .Route("no-instance", "lb://missing", ["Path=/missing/**"]);
        await using var host = new GatewayHost(routes.Settings);
        using var http = host.NewClient();
        var answers = new Infrastructure.Testing.RecordedAnswers(
            "Tests/Gateway.Tests/RecordedAnswers/spring-errors",
            ("\"timestamp\":\"[0-9T:.+-]+\"", "\"timestamp\":\"{timestamp}\""),
            ("\"requestId\":\"[^\"]*\"", "\"requestId\":\"{requestId}\""),
            ("\"traceId\":\"[0-9a-f]*\"", "\"traceId\":\"{traceId}\""),
            ($":{deadPort}\\b", ":{port}"));

        using (var r = await http.GetAsync("/no/route/here"))
        {
            await answers.CheckAsync("no-route", r);
        }
        using (var r = await http.GetAsync("/missing/x"))
        {
            await answers.CheckAsync("no-instance", r);
        }
        using (var r = await http.GetAsync("/dead/x"))
        {
            await answers.CheckAsync("instance-unreachable", r);
        }
        using (var r = await http.DeleteAsync("/actuator/gateway/routes/dead"))
        {
            await answers.CheckAsync("actuator-delete-config-route", r);
        }
        using (var r = await http.PostAsync("/actuator/gateway/routes/bad", new StringContent("[1]", Encoding.UTF8, "application/json")))
        {
            await answers.CheckAsync("actuator-bad-definition", r);
        }
        answers.AssertAllMatch();
    }
}
