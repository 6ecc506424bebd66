using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Infrastructure.Testing;
using Npgsql;

namespace Infrastructure.EndToEnd.Tests;

/// <summary><c>--with-postgres</c>: the lab starts a real PostgreSQL from the apt binaries and the servers that can use it do.</summary>
public sealed partial class LabEnginesTests
{
    [Fact]
    public async Task Lab_WithPostgres_AuthServerKeepsClientsAndKeysInPostgresAndStopsItOnCtrlC()
    {
        var discovery = FreePort.Next();
        var auth = FreePort.Next();
        await using var lab = await LabProcess.StartAsync(
        [
            "--only", "discovery,auth", "--with-postgres",
            "--port", string.Create(CultureInfo.InvariantCulture, $"discovery={discovery},auth={auth}"),
        ], TimeSpan.FromSeconds(180));
        var match = PostgresLine().Match(lab.Output);
        Assert.True(match.Success, lab.Output);
        var connectionString = match.Groups[1].Value.Trim();

        // A token from the lab's Auth.Server, whose client store is now PostgreSQL.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{auth}/connect/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["scope"] = "catalog.read" }),
        };
        tokenRequest.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("lab-client:lab-secret"u8.ToArray()));
        using var tokenResponse = await http.SendAsync(tokenRequest);
        Assert.True(tokenResponse.IsSuccessStatusCode, await tokenResponse.Content.ReadAsStringAsync());

        await using (var db = new NpgsqlConnection(connectionString))
        {
            await db.OpenAsync();
            await using var clients = new NpgsqlCommand("SELECT count(*) FROM auth_clients WHERE client_id = 'lab-client'", db);
            Assert.Equal(1L, (long)(await clients.ExecuteScalarAsync())!);
            await using var keys = new NpgsqlCommand("SELECT count(*) FROM auth_signing_keys", db);
            Assert.True((long)(await keys.ExecuteScalarAsync())! >= 1);
        }

        await lab.SignalAsync("INT");
        Assert.True(await lab.WaitForExitAsync(TimeSpan.FromSeconds(60)), lab.Output);
        // The lab stopped the PostgreSQL it started.
        var port = new NpgsqlConnectionStringBuilder(connectionString).Port;
        Assert.Empty(await ProcessTable.WaitUntilGoneAsync(string.Create(CultureInfo.InvariantCulture, $"-p {port}"), TimeSpan.FromSeconds(30)));
    }

    [GeneratedRegex(@"PostgreSQL(?: on|:) (Host=[^\s]+)")]
    private static partial Regex PostgresLine();
}
