using System.Text;
using Infrastructure.ServiceDefaults.Security;
using Microsoft.AspNetCore.Http;

namespace Infrastructure.ServiceDefaults.Tests.Security;

/// <summary>The one reader of the Authorization header (RFC 6750 bearer, RFC 7617 Basic).</summary>
public sealed class AuthorizationHeaderTests
{
    private static HttpRequest Request(params string[] authorization)
    {
        var ctx = new DefaultHttpContext();
        if (authorization.Length > 0)
        {
            ctx.Request.Headers.Authorization = authorization;
        }
        return ctx.Request;
    }

    private static string Basic(string text) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    [Theory]
    [InlineData("Bearer abc.def", "abc.def")]
    [InlineData("bearer  abc ", "abc")]
    [InlineData("BEARER abc", "abc")]
    [InlineData("Bearer ", null)]
    [InlineData("Bearerabc", null)]
    [InlineData("Basic dXNlcjpwdw==", null)]
    [InlineData("", null)]
    public void Bearer_SchemeCaseInsensitive_EmptyIsNone(string header, string? expected)
    {
        Assert.Equal(expected, AuthorizationHeader.Bearer(Request(header)));
    }

    [Fact]
    public void Bearer_NoHeader_Null()
    {
        Assert.Null(AuthorizationHeader.Bearer(Request()));
        Assert.False(AuthorizationHeader.HasBearer(Request()));
    }

    [Theory]
    [InlineData("user:pw", "user", "pw")]
    [InlineData("user:p:w", "user", "p:w")]
    [InlineData(":", "", "")]
    [InlineData("üser:pässwörd", "üser", "pässwörd")]
    public void ReadBasic_SplitAtFirstColon(string text, string user, string password)
    {
        Assert.Equal(BasicCredentialsRead.Read, AuthorizationHeader.ReadBasic(Request(Basic(text)), out var u, out var p));
        Assert.Equal(user, u);
        Assert.Equal(password, p);
    }

    [Fact]
    public void ReadBasic_SchemeCaseInsensitive()
    {
        Assert.Equal(BasicCredentialsRead.Read, AuthorizationHeader.ReadBasic(Request("basic " + Convert.ToBase64String("a:b"u8.ToArray())), out var u, out _));
        Assert.Equal("a", u);
    }

    [Theory]
    [InlineData("Basic not base64!")]
    [InlineData("Basic dXNlcg==")]      // "user": no colon
    [InlineData("Basic //79")]          // bytes that are not UTF-8
    public void ReadBasic_Unreadable_Malformed(string header)
    {
        Assert.Equal(BasicCredentialsRead.Malformed, AuthorizationHeader.ReadBasic(Request(header), out var u, out var p));
        Assert.Equal("", u);
        Assert.Equal("", p);
    }

    [Fact]
    public void ReadBasic_TwoHeaders_Malformed()
    {
        Assert.Equal(BasicCredentialsRead.Malformed, AuthorizationHeader.ReadBasic(Request(Basic("a:b"), Basic("c:d")), out _, out _));
        Assert.Equal(BasicCredentialsRead.Malformed, AuthorizationHeader.ReadBasic(Request("Bearer x", Basic("c:d")), out _, out _));
    }

    [Theory]
    [InlineData("Bearer abc")]
    [InlineData("Digest x")]
    public void ReadBasic_OtherSchemeOrNone_None(string header)
    {
        Assert.Equal(BasicCredentialsRead.None, AuthorizationHeader.ReadBasic(Request(header), out _, out _));
        Assert.Equal(BasicCredentialsRead.None, AuthorizationHeader.ReadBasic(Request(), out _, out _));
    }
}
