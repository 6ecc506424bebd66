using System.Globalization;
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
        Assert.NotEmpty(await LabTokens.ClientCredentialsAsync(auth, "catalog.read"));

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
