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

    public Uri BaseUri => _process!.BaseUri;

    public async Task InitializeAsync()
    {
        var env = new Dictionary<string, string?>
        {
            ["Auth__SigningKeys__Path"] = Path.Combine(Path.GetTempPath(), "auth-real-" + Guid.NewGuid().ToString("N")),
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
