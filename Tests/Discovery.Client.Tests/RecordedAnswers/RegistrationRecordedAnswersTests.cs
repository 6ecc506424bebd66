using System.Text;
using Infrastructure.Discovery.Client.Tests.Fakes;

namespace Infrastructure.Discovery.Client.Tests.RecordedAnswers;

/// <summary>
/// The registration body the client sends, compared byte for byte with <c>RecordedAnswers/registration/</c> (re-record with
/// <c>RECORD_ANSWERS=1</c>). Only the two timestamps, taken from the client's clock at start, are normalised.
/// </summary>
public sealed class RegistrationRecordedAnswersTests
{
    [Fact]
    public async Task RegistrationBodies_MatchRecorded()
    {
        var answers = new Infrastructure.Testing.RecordedAnswers(
            "Tests/Discovery.Client.Tests/RecordedAnswers/registration",
            ("\"lastUpdatedTimestamp\":\"[0-9]+\"", "\"lastUpdatedTimestamp\":\"{timestamp}\""),
            ("\"lastDirtyTimestamp\":\"[0-9]+\"", "\"lastDirtyTimestamp\":\"{timestamp}\""));
        await RecordAsync(answers, "with-metadata", new()
        {
            ["Eureka:Instance:MetadataMap:zone"] = "zone-a",
            ["Eureka:Instance:MetadataMap:unicode"] = "héllo \"✓\"",
            ["Eureka:Instance:SecurePortEnabled"] = "true",
            ["Eureka:Instance:SecurePort"] = "8443",
            ["Eureka:Instance:SecureVipAddress"] = "catalog-secure",
        });
        await RecordAsync(answers, "without-metadata", []);
        answers.AssertAllMatch();
    }

    private static async Task RecordAsync(Infrastructure.Testing.RecordedAnswers answers, string name, Dictionary<string, string?> extra)
    {
        await using var eureka = await FakeEurekaServer.StartAsync();
        var config = TestApps.EurekaConfig(eureka.ServiceUrl);
        config["Eureka:Instance:InstanceId"] = "catalog-1:catalog:8080";
        config["Eureka:Instance:HostName"] = "catalog-1.example.com";
        config["Eureka:Instance:IpAddress"] = "10.0.0.9";
        config["Eureka:Instance:Port"] = "8080";
        foreach (var (k, v) in extra)
        {
            config[k] = v;
        }
        await using var app = TestApps.Create(config);
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await TestApps.EventuallyAsync(() => eureka.Find("POST", "/eureka/apps/CATALOG").Count > 0, "a registration");
        var post = eureka.Find("POST", "/eureka/apps/CATALOG")[0];
        answers.Check(name, Encoding.UTF8.GetBytes("Content-Type: " + post.ContentType + "\n\n" + post.Body));
        await app.StopAsync();
    }
}
