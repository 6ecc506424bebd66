using Infrastructure.Proxy.Health;
using Microsoft.Extensions.Time.Testing;

namespace Infrastructure.Proxy.Tests.Health;

public sealed class OutlierDetectorTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void ReportResponse_Five5xxInARow_EjectedAtOnce()
    {
        using var detector = Detector(hosts: 2, new OutlierDetectionOptions { MaxEjectionPercent = 100 });
        for (var k = 0; k < 4; k++)
        {
            detector.ReportResponse("h0", 500);
        }
        Assert.False(detector.IsEjected("h0"));
        detector.ReportResponse("h0", 500);
        Assert.True(detector.IsEjected("h0"));
        Assert.False(detector.IsEjected("h1"));
    }

    [Fact]
    public void ReportResponse_SuccessInTheMiddle_StreakStartsAgain()
    {
        using var detector = Detector(hosts: 2, new OutlierDetectionOptions { MaxEjectionPercent = 100 });
        for (var k = 0; k < 4; k++)
        {
            detector.ReportResponse("h0", 503);
        }
        detector.ReportResponse("h0", 200);
        for (var k = 0; k < 4; k++)
        {
            detector.ReportResponse("h0", 503);
        }
        Assert.False(detector.IsEjected("h0"));
    }

    [Fact]
    public void ReportLocalFailure_ConnectFailures_CountAs5xx()
    {
        using var detector = Detector(hosts: 2, new OutlierDetectionOptions { MaxEjectionPercent = 100 });
        for (var k = 0; k < 5; k++)
        {
            detector.ReportLocalFailure("h0");
        }
        Assert.True(detector.IsEjected("h0"));
    }

    [Fact]
    public void ConsecutiveGatewayErrors_OnlyGatewayErrors_EjectedBeforeThe5xxThreshold()
    {
        using var detector = Detector(hosts: 2, new OutlierDetectionOptions { ConsecutiveGatewayErrors = 2, MaxEjectionPercent = 100 });
        detector.ReportResponse("h0", 502);
        detector.ReportLocalFailure("h0");
        Assert.True(detector.IsEjected("h0"));
    }

    [Fact]
    public void ConsecutiveGatewayErrors_A500BetweenThem_GatewayStreakStartsAgain()
    {
        using var detector = Detector(hosts: 2, new OutlierDetectionOptions { ConsecutiveGatewayErrors = 2, Consecutive5xxErrors = 0, MaxEjectionPercent = 100 });
        detector.ReportResponse("h0", 504);
        detector.ReportResponse("h0", 500);
        detector.ReportResponse("h0", 503);
        Assert.False(detector.IsEjected("h0"));
    }

    [Fact]
    public void Consecutive5xxErrors_Zero_NeverEjects()
    {
        using var detector = Detector(hosts: 2, new OutlierDetectionOptions { Consecutive5xxErrors = 0, MaxEjectionPercent = 100 });
        for (var k = 0; k < 50; k++)
        {
            detector.ReportResponse("h0", 500);
        }
        Assert.False(detector.IsEjected("h0"));
    }

    [Fact]
    public void MaxEjectionPercent_Default10WithFewerThanTenHosts_NoHostEjected()
    {
        // Envoy since 1.27 (envoyproxy/envoy#27909): the ejected share after the ejection must stay within the maximum.
        using var detector = Detector(hosts: 5, new OutlierDetectionOptions());
        Fail(detector, "h0", 5);
        Assert.False(detector.IsEjected("h0"));
    }

    [Fact]
    public void MaxEjectionPercent_Default10WithTenHosts_OneEjectedNotTwo()
    {
        using var detector = Detector(hosts: 10, new OutlierDetectionOptions());
        Fail(detector, "h0", 5);
        Fail(detector, "h1", 5);
        Assert.True(detector.IsEjected("h0"));
        Assert.False(detector.IsEjected("h1"));
    }

    [Fact]
    public void MaxEjectionPercent_AlwaysEjectOneHost_OneEjectedInASmallPool()
    {
        using var detector = Detector(hosts: 3, new OutlierDetectionOptions { AlwaysEjectOneHost = true });
        Fail(detector, "h0", 5);
        Fail(detector, "h1", 5);
        Assert.True(detector.IsEjected("h0"));
        Assert.False(detector.IsEjected("h1"));
    }

    [Fact]
    public void Sweep_BaseEjectionTimeTimesEjections_HostBackAfterItsTime()
    {
        using var detector = Detector(hosts: 2, new OutlierDetectionOptions { MaxEjectionPercent = 100 });
        Fail(detector, "h0", 5);
        _time.Pass(20);
        Assert.True(detector.IsEjected("h0"));
        // Ejected at 0 for 30 s: the sweep at 30 s brings it back.
        _time.Pass(10);
        Assert.False(detector.IsEjected("h0"));

        // Second ejection at 30 s: 60 s this time.
        Fail(detector, "h0", 5);
        Assert.Equal(2, detector.EjectionCount("h0"));
        _time.Pass(50);
        Assert.True(detector.IsEjected("h0"));
        _time.Pass(10);
        Assert.False(detector.IsEjected("h0"));
    }

    [Fact]
    public void Sweep_HealthyHost_MultiplierShrinksOnePerInterval()
    {
        using var detector = Detector(hosts: 2, new OutlierDetectionOptions { MaxEjectionPercent = 100 });
        Fail(detector, "h0", 5);
        _time.Pass(30);
        Assert.False(detector.IsEjected("h0"));
        Assert.Equal(1, detector.EjectionCount("h0"));
        _time.Pass(10);
        Assert.Equal(0, detector.EjectionCount("h0"));
    }

    [Fact]
    public void SetHosts_HostGone_ItsEjectionForgotten()
    {
        using var detector = Detector(hosts: 2, new OutlierDetectionOptions { MaxEjectionPercent = 50 });
        Fail(detector, "h0", 5);
        Assert.Equal(1, detector.EjectedCount);
        detector.SetHosts(["h1", "h2"]);
        Assert.Equal(0, detector.EjectedCount);
        Assert.False(detector.IsEjected("h0"));
    }

    private OutlierDetector Detector(int hosts, OutlierDetectionOptions options)
    {
        var detector = new OutlierDetector(options, _time);
        detector.SetHosts(Enumerable.Range(0, hosts).Select(i => "h" + i));
        return detector;
    }

    private static void Fail(OutlierDetector detector, string host, int times)
    {
        for (var k = 0; k < times; k++)
        {
            detector.ReportResponse(host, 500);
        }
    }
}
