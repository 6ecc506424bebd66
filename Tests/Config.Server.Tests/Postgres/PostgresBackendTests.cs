using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Infrastructure.Config.Server.Tests.Monitor;
using Infrastructure.Testing;
using Npgsql;

namespace Infrastructure.Config.Server.Tests.Postgres;

/// <summary>A database of its own on the shared test PostgreSQL, dropped afterwards.</summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    public string ConnectionString { get; private set; } = "";

    private string _name = "";

    public async Task InitializeAsync()
    {
        _name = "t_config_" + Guid.NewGuid().ToString("N")[..16];
        await using var conn = new NpgsqlConnection(TestDependencies.Postgres);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {_name}", conn);
        await cmd.ExecuteNonQueryAsync();
        ConnectionString = new NpgsqlConnectionStringBuilder(TestDependencies.Postgres) { Database = _name, Pooling = false }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(TestDependencies.Postgres);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}

public sealed class PostgresBackendTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>
{
    private ConfigServerFactory Server() => new(new Dictionary<string, string?> { ["ConfigServer:Postgres:ConnectionString"] = db.ConnectionString });

    private static async Task<JsonElement> PutAsync(HttpClient http, string path, string value, string who = "alice")
    {
        using var req = new HttpRequestMessage(HttpMethod.Put, "/admin/properties/" + path) { Content = new StringContent(value, Encoding.UTF8, "text/plain") };
        req.Headers.Add("X-Changed-By", who);
        using var r = await http.SendAsync(req);
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public async Task Put_BodyWithNulOrInvalidUtf8_400AndNothingWritten()
    {
        await using var f = Server();
        using var http = f.CreateClient();
        foreach (var body in new[] { "a\0b"u8.ToArray(), [0x63, 0x61, 0x66, 0xE9] })
        {
            using var content = new ByteArrayContent(body) { Headers = { ContentType = new("text/plain") } };
            using var r = await http.PutAsync("/admin/properties/nulls/default/master/key", content);
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Equal(400, JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetInt32());
        }
        Assert.Equal(0, (await http.GetFromJsonAsync<JsonElement>("/admin/history?application=nulls")).GetArrayLength());
    }

    [Fact]
    public async Task PutThenGet_SpringJdbcOrder_VersionChangesWithEveryWrite()
    {
        await using var f = Server();
        using var http = f.CreateClient();
        await PutAsync(http, "inventory/default/master/page.size", "20");
        await PutAsync(http, "inventory/dev/master/page.size", "5");
        await PutAsync(http, "application/default/master/region", "eu");
        var env1 = JsonDocument.Parse(await http.GetStringAsync("/inventory/dev")).RootElement.Clone();
        Assert.Equal("master", env1.GetProperty("label").GetString());
        Assert.Equal(["inventory-dev", "inventory-default", "application-default"],
            env1.GetProperty("propertySources").EnumerateArray().Select(s => s.GetProperty("name").GetString()!));
        Assert.Equal("5", env1.GetProperty("propertySources")[0].GetProperty("source").GetProperty("page.size").GetString());

        await PutAsync(http, "inventory/dev/master/page.size", "6");
        var env2 = JsonDocument.Parse(await http.GetStringAsync("/inventory/dev")).RootElement;
        Assert.NotEqual(env1.GetProperty("version").GetString(), env2.GetProperty("version").GetString());
        Assert.Equal("6", env2.GetProperty("propertySources")[0].GetProperty("source").GetProperty("page.size").GetString());
    }

    [Fact]
    public async Task Delete_Property_RemovedAndEveryChangeKeptInHistory()
    {
        await using var f = Server();
        using var http = f.CreateClient();
        await PutAsync(http, "billing/default/master/rate", "1", "alice");
        await PutAsync(http, "billing/default/master/rate", "2", "bob");
        using (var del = new HttpRequestMessage(HttpMethod.Delete, "/admin/properties/billing/default/master/rate"))
        {
            del.Headers.Add("X-Changed-By", "carol");
            using var r = await http.SendAsync(del);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        using (var again = await http.DeleteAsync("/admin/properties/billing/default/master/rate"))
        {
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        }
        var env = JsonDocument.Parse(await http.GetStringAsync("/billing/default")).RootElement;
        Assert.DoesNotContain(env.GetProperty("propertySources").EnumerateArray(), s => s.GetProperty("name").GetString() == "billing-default");

        var history = await http.GetFromJsonAsync<JsonElement>("/admin/history?application=billing");
        var rows = history.EnumerateArray().ToList();
        Assert.Equal(3, rows.Count);
        Assert.Equal(["carol", "bob", "alice"], rows.Select(r => r.GetProperty("changedBy").GetString()!));
        Assert.Equal("2", rows[0].GetProperty("oldValue").GetString());
        Assert.Equal(JsonValueKind.Null, rows[0].GetProperty("newValue").ValueKind);
        Assert.Equal("1", rows[1].GetProperty("oldValue").GetString());
        Assert.Equal("2", rows[1].GetProperty("newValue").GetString());
    }

    [Fact]
    public async Task Put_OnOneReplica_OtherReplicaPublishesRefreshEvent()
    {
        await using var a = Server();
        await using var b = Server();
        using var httpA = a.CreateClient();
        using var httpB = b.CreateClient();
        await httpB.GetStringAsync("/actuator/health"); // B is started and listening
        await using var sse = await SseReader.OpenAsync(httpB);
        await PutAsync(httpA, "shipping/prod/master/carrier", "dhl");
        var (_, data) = await sse.NextEventAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("shipping:prod", data.GetProperty("destinations")[0].GetString());
        Assert.Equal("postgres notify", data.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Composite_SpringsJdbcType_ReadAsPostgres_WithAWarning()
    {
        await using (var writer = Server())
        {
            using var w = writer.CreateClient();
            await PutAsync(w, "jdbcapp/default/master/color", "green");
        }
        await using var f = new ConfigServerFactory(new Dictionary<string, string?>
        {
            ["ConfigServer:Composite:0:Type"] = "jdbc",
            ["ConfigServer:Composite:0:ConnectionString"] = db.ConnectionString,
        });
        using var http = f.CreateClient();

        Assert.Contains("color: green\n", await http.GetStringAsync("/jdbcapp-default.properties"), StringComparison.Ordinal);
        var health = JsonDocument.Parse(await http.GetStringAsync("/actuator/health")).RootElement.GetProperty("components");
        Assert.Equal("composite(postgres)", health.GetProperty("configServer").GetProperty("details").GetProperty("backend").GetString());
        var warning = Assert.Single(health.GetProperty("settings").GetProperty("details").GetProperty("warnings").EnumerateArray());
        Assert.StartsWith("ConfigServer:Composite:0:Type=jdbc: read as postgres", warning.GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Composite_NativeThenPostgres_FirstBackendWins()
    {
        using var dir = new TempDir();
        dir.Write("mixed.yml", "color: blue\n");
        await using (var writer = Server())
        {
            using var w = writer.CreateClient();
            await PutAsync(w, "mixed/default/master/color", "red");
            await PutAsync(w, "mixed/default/master/size", "L");
        }
        await using var f = new ConfigServerFactory(new Dictionary<string, string?>
        {
            ["ConfigServer:Composite:0:Type"] = "native",
            ["ConfigServer:Composite:0:SearchLocations"] = dir.Path,
            ["ConfigServer:Composite:1:Type"] = "postgres",
            ["ConfigServer:Composite:1:ConnectionString"] = db.ConnectionString,
        });
        using var http = f.CreateClient();
        var yml = await http.GetStringAsync("/mixed-default.properties");
        Assert.Contains("color: blue\n", yml, StringComparison.Ordinal);
        Assert.Contains("size: L\n", yml, StringComparison.Ordinal);
        var health = JsonDocument.Parse(await http.GetStringAsync("/actuator/health")).RootElement;
        Assert.Equal("composite(native,postgres)", health.GetProperty("components").GetProperty("configServer").GetProperty("details").GetProperty("backend").GetString());
    }
}
