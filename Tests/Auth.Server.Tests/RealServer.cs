using System.Net;
using Infrastructure.Testing;

namespace Infrastructure.Auth.Server.Tests;

/// <summary>
/// One real Auth.Server process (Kestrel, the Development lab settings) for tests whose subject is what Kestrel itself
/// refuses: control or non-ASCII characters in a response header are a 500 there, not in the in-memory test server.
/// </summary>
public sealed class RealServer : IAsyncLifetime
{
    private ServerProcess? _process;
    private TestDatabase? _database;

    /// <summary>A client (client_credentials, password) and a user that only the fuzz tests use.</summary>
    public const string FuzzClient = "fuzz-client", FuzzSecret = "fuzz-secret", FuzzUser = "fuzz-user";

    public Uri BaseUri => _process!.BaseUri;

    public async Task InitializeAsync()
    {
        var env = new Dictionary<string, string?>
        {
            ["Auth__SigningKeys__Path"] = Path.Combine(Path.GetTempPath(), "auth-real-" + Guid.NewGuid().ToString("N")),
            // A client and a user only the fuzz tests use, so the failures they provoke throttle nobody else's.
            ["Auth__Clients__20__ClientId"] = FuzzClient,
            ["Auth__Clients__20__ClientSecrets__0__Value"] = FuzzSecret,
            ["Auth__Clients__20__AllowedGrantTypes__0"] = "client_credentials",
            ["Auth__Clients__20__AllowedGrantTypes__1"] = "password",
            ["Auth__Clients__20__AllowedScopes__0"] = "openid",
            ["Auth__Clients__20__AllowedScopes__1"] = "catalog.read",
            ["Auth__Users__20__SubjectId"] = "20",
            ["Auth__Users__20__Username"] = FuzzUser,
            ["Auth__Users__20__Password"] = FuzzUser,
        };
        if (AuthServerFactory.PostgresMode)
        {
            // PostgreSQL refuses a NUL in text, so there a control character that got through would be a 500 as well.
            _database = new TestDatabase();
            env["Auth__Postgres__ConnectionString"] = _database.ConnectionString;
        }
        _process = await ServerProcess.StartAsync("Auth.Server", environment: env);
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }
        _database?.Dispose();
    }

    /// <summary>A client that keeps cookies and does not follow redirects.</summary>
    public HttpClient Browser() => new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = BaseUri };

    /// <summary>Everything the process printed so far.</summary>
    public string Output => _process!.Output;
}

/// <summary>The tests that share <see cref="RealServer"/>.</summary>
[CollectionDefinition(Name)]
public sealed class RealServerCollection : ICollectionFixture<RealServer>
{
    public const string Name = "real Auth.Server process";
}
