using Infrastructure.ServiceDefaults.Configuration;

namespace Infrastructure.ServiceDefaults.Tests;

public sealed class GoDurationTests
{
    [Theory]
    [InlineData("1h2m3.5s", 3723500)]
    [InlineData("300ms", 300)]
    [InlineData("1.5s", 1500)]
    [InlineData("1m", 60000)]
    [InlineData("0", 0)]
    [InlineData("2000us", 2)]
    [InlineData("1000000ns", 1)]
    [InlineData("-1s", -1000)]
    public void TryParse_GoSyntax_Milliseconds(string text, long milliseconds)
    {
        Assert.True(GoDuration.TryParse(text, out var value, out var error), error);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("s")]
    [InlineData("1.2.3s")]
    [InlineData("1d")]
    [InlineData("10 s")]
    [InlineData("1sec")]
    [InlineData(".s")]
    public void TryParse_NotGo_Fails(string text)
    {
        Assert.False(GoDuration.TryParse(text, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void TryParse_DecimalFractions_Exact()
    {
        Assert.True(GoDuration.TryParse("0.3s", out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(300), value);
    }

    [Fact]
    public void Format_AsGoPrints()
    {
        Assert.Equal("2s", GoDuration.Format(TimeSpan.FromSeconds(2)));
        Assert.Equal("1.5s", GoDuration.Format(TimeSpan.FromMilliseconds(1500)));
        Assert.Equal("300ms", GoDuration.Format(TimeSpan.FromMilliseconds(300)));
        Assert.Equal("1m30s", GoDuration.Format(TimeSpan.FromSeconds(90)));
        Assert.Equal("0s", GoDuration.Format(TimeSpan.Zero));
    }
}
