using System.Text;

namespace Infrastructure.Eureka.Protocol.Tests.Codecs;

public sealed class InstanceReaderTests
{
    [Fact]
    public void TryRead_SameInstanceInJsonAndXml_ReadAlike()
    {
        const string json = """
            {"instance":{"instanceId":"h1:a:8080","hostName":"h1","app":"a","appGroupName":"g","ipAddr":"10.0.0.1","sid":"s",
            "status":"DOWN","overriddenstatus":"OUT_OF_SERVICE","port":{"$":"8080","@enabled":"false"},"securePort":{"$":8443,"@enabled":true},
            "countryId":"2","dataCenterInfo":{"@class":"com.netflix.appinfo.AmazonInfo","name":"Amazon","metadata":{"instance-id":"i-1"}},
            "leaseInfo":{"renewalIntervalInSecs":10,"durationInSecs":"30"},"metadata":{"zone":"z","my key":"v"},
            "homePageUrl":"http://h1/","statusPageUrl":"http://h1/info","healthCheckUrl":"http://h1/health","secureHealthCheckUrl":"https://h1/health",
            "vipAddress":"a","secureVipAddress":"a-s","asgName":"asg","isCoordinatingDiscoveryServer":"true","lastDirtyTimestamp":"5"}}
            """;
        const string xml = """
            <instance><instanceId>h1:a:8080</instanceId><hostName>h1</hostName><app>a</app><appGroupName>g</appGroupName><ipAddr>10.0.0.1</ipAddr><sid>s</sid>
            <status>DOWN</status><overriddenStatus>OUT_OF_SERVICE</overriddenStatus><port enabled="false">8080</port><securePort enabled="true">8443</securePort>
            <countryId>2</countryId><dataCenterInfo class="com.netflix.appinfo.AmazonInfo"><name>Amazon</name><metadata><instance-id>i-1</instance-id></metadata></dataCenterInfo>
            <leaseInfo><renewalIntervalInSecs>10</renewalIntervalInSecs><durationInSecs>30</durationInSecs></leaseInfo><metadata><zone>z</zone><my_x0020_key>v</my_x0020_key></metadata>
            <homePageUrl>http://h1/</homePageUrl><statusPageUrl>http://h1/info</statusPageUrl><healthCheckUrl>http://h1/health</healthCheckUrl><secureHealthCheckUrl>https://h1/health</secureHealthCheckUrl>
            <vipAddress>a</vipAddress><secureVipAddress>a-s</secureVipAddress><asgName>asg</asgName><isCoordinatingDiscoveryServer>true</isCoordinatingDiscoveryServer><lastDirtyTimestamp>5</lastDirtyTimestamp></instance>
            """;

        var fromJson = InstanceReader.TryRead(Encoding.UTF8.GetBytes(json), "application/json", 1, out var jsonError);
        var fromXml = InstanceReader.TryRead(Encoding.UTF8.GetBytes(xml), "application/xml", 1, out var xmlError);

        Assert.Null(jsonError);
        Assert.Null(xmlError);
        Assert.NotNull(fromJson);
        Assert.NotNull(fromXml);
        // Records compare maps by reference: compare them by content, the rest as a whole.
        Assert.Equal(fromJson.Metadata, fromXml.Metadata);
        Assert.Equal(fromJson.DataCenterMetadata, fromXml.DataCenterMetadata);
        Assert.Equal(fromJson, fromXml with { Metadata = fromJson.Metadata, DataCenterMetadata = fromJson.DataCenterMetadata });
        Assert.Equal((8080, false, 8443, true), (fromJson.Port, fromJson.PortEnabled, fromJson.SecurePort, fromJson.SecurePortEnabled));
        Assert.Equal((InstanceStatus.DOWN, InstanceStatus.OUT_OF_SERVICE, 10, 30), (fromJson.Status, fromJson.OverriddenStatus, fromJson.RenewalIntervalInSecs, fromJson.DurationInSecs));
    }
}
