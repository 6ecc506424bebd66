using Infrastructure.Config.Client.Fetching;

namespace Infrastructure.Config.Client.Tests.Fetching;

public sealed class ServerCredentialsTests
{
    [Fact]
    public void For_TokenAndUser_SendsBearer()
    {
        var header = ServerCredentials.For(new ConfigServerClientSettings { Token = "t0k", Username = "u", Password = "p" }, new Uri("http://a:b@host/"));
        Assert.Equal("Bearer t0k", header?.ToString());
    }

    [Fact]
    public void For_UserInfoInUri_SendsItAsBasic()
    {
        var header = ServerCredentials.For(new ConfigServerClientSettings(), new Uri("http://read%40er:p%3Ass@host/"));
        Assert.Equal("Basic cmVhZEBlcjpwOnNz", header?.ToString()); // read@er:p:ss
    }

    [Fact]
    public void For_UsernameSetting_WinsOverUserInfo()
    {
        var header = ServerCredentials.For(new ConfigServerClientSettings { Username = "reader", Password = "p@ss" }, new Uri("http://other:x@host/"));
        Assert.Equal("Basic cmVhZGVyOnBAc3M=", header?.ToString());
    }

    [Fact]
    public void For_NoCredentials_SendsNone() =>
        Assert.Null(ServerCredentials.For(new ConfigServerClientSettings(), new Uri("http://host/")));
}
