using Infrastructure.Config.Client.Refresh;

namespace Infrastructure.Config.Client.Tests.Refresh;

public sealed class EventDestinationsTests
{
    [Theory]
    [InlineData("""{"destinations":["catalog"]}""", true)]
    [InlineData("""{"destinations":["*"]}""", true)]
    [InlineData("""{"destinations":["catalog:dev","catalog-dev"]}""", true)]
    [InlineData("""{"destinations":["catalog:prod"]}""", false)]
    [InlineData("""{"destinations":["*:dev"]}""", true)]
    [InlineData("""{"destinations":["order"]}""", false)]
    public void Concerns_EventDestinations_MatchNameAndProfiles(string json, bool expected)
    {
        var settings = new ConfigServerClientSettings { Name = "catalog", Profile = "dev,cloud", WatchEnabled = false, PollIntervalSeconds = 0 };
        Assert.Equal(expected, EventDestinations.Concerns(json, settings.Name, settings.Profiles));
    }
}
