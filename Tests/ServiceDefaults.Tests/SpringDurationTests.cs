using Infrastructure.ServiceDefaults.Configuration;
using Microsoft.Extensions.Configuration;

namespace Infrastructure.ServiceDefaults.Tests;

/// <summary>Spring Boot's duration formats (DurationStyle SIMPLE and ISO-8601), as configuration binds them.</summary>
public sealed class SpringDurationTests
{
    [Theory]
    [InlineData("500", 500 * TimeSpan.TicksPerMillisecond)]
    [InlineData("0", 0)]
    [InlineData("-5", -5 * TimeSpan.TicksPerMillisecond)]
    [InlineData("+7", 7 * TimeSpan.TicksPerMillisecond)]
    [InlineData("500ms", 500 * TimeSpan.TicksPerMillisecond)]
    [InlineData("500MS", 500 * TimeSpan.TicksPerMillisecond)]
    [InlineData("5s", 5 * TimeSpan.TicksPerSecond)]
    [InlineData("5S", 5 * TimeSpan.TicksPerSecond)]
    [InlineData("1m", TimeSpan.TicksPerMinute)]
    [InlineData("2h", 2 * TimeSpan.TicksPerHour)]
    [InlineData("3d", 3 * TimeSpan.TicksPerDay)]
    [InlineData("10us", 100)]
    [InlineData("1500ns", 15)]
    [InlineData(" 5s ", 5 * TimeSpan.TicksPerSecond)]
    [InlineData("PT5S", 5 * TimeSpan.TicksPerSecond)]
    [InlineData("pt5s", 5 * TimeSpan.TicksPerSecond)]
    [InlineData("PT0.5S", 500 * TimeSpan.TicksPerMillisecond)]
    [InlineData("PT0.000000123S", 1)]
    [InlineData("PT1M30S", 90 * TimeSpan.TicksPerSecond)]
    [InlineData("PT2H", 2 * TimeSpan.TicksPerHour)]
    [InlineData("P1D", TimeSpan.TicksPerDay)]
    [InlineData("P1DT1H", 25 * TimeSpan.TicksPerHour)]
    [InlineData("-PT5S", -5 * TimeSpan.TicksPerSecond)]
    [InlineData("PT-5S", -5 * TimeSpan.TicksPerSecond)]
    [InlineData("PT-0.5S", -500 * TimeSpan.TicksPerMillisecond)]
    public void Parse_SpringForms(string text, long ticks)
    {
        Assert.Equal(TimeSpan.FromTicks(ticks), SpringDuration.Parse(text).Value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("5 s")]
    [InlineData("5x")]
    [InlineData("5sec")]
    [InlineData("1.5s")]
    [InlineData("PT")]
    [InlineData("P")]
    [InlineData("PT1.5M")]
    [InlineData("PT1,5S")]
    [InlineData("PT0.1234567891S")]
    [InlineData("00:00:05")]
    [InlineData("99999999999999999999d")]
    [InlineData("9999999999d")]
    public void Parse_Garbage_Refused(string text)
    {
        Assert.False(SpringDuration.TryParse(text, out _));
        var e = Assert.Throws<FormatException>(() => SpringDuration.Parse(text));
        Assert.Contains("PT5S", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BareNumberInAnotherUnit()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), SpringDuration.Parse("30", TimeSpan.FromSeconds(1)).Value);
        Assert.Equal(TimeSpan.FromMilliseconds(30), SpringDuration.Parse("30ms", TimeSpan.FromSeconds(1)).Value);
    }

    [Fact]
    public void Bind_FromConfiguration_EnvironmentVariableStyle()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Http:Timeout"] = "5s" }).Build();

        Assert.Equal(TimeSpan.FromSeconds(5), config.GetSection("Http").Get<Holder>()!.Timeout.Value);
    }

    [Fact]
    public void Bind_Garbage_RefusedNamingTheKey()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Http:Timeout"] = "soon" }).Build();

        var e = Assert.Throws<InvalidOperationException>(() => config.GetSection("Http").Get<Holder>());
        Assert.Contains("Http:Timeout", e.Message, StringComparison.Ordinal);
        Assert.Contains("not a duration", e.InnerException!.Message, StringComparison.Ordinal);
    }

    private sealed class Holder
    {
        public SpringDuration Timeout { get; set; }
    }
}
