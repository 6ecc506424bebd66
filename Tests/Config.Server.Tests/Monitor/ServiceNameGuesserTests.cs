using Infrastructure.Config.Server.Monitor;

namespace Infrastructure.Config.Server.Tests.Monitor;

public sealed class ServiceNameGuesserTests
{
    [Theory]
    [InlineData("application.yml", "*")]
    [InlineData("config/application-dev.yml", "*:dev")]
    [InlineData("catalog.yml", "catalog")]
    [InlineData("catalog-development.yml", "catalog:development|catalog-development")]
    [InlineData("my-app.properties", "my:app|my-app")]
    public void Guess_FileName_NamesServicesAsSpringMonitor(string path, string expected) =>
        Assert.Equal(expected.Split('|'), ServiceNameGuesser.Guess([path]));
}
