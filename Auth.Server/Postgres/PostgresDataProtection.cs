using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Infrastructure.Auth.Server.Postgres;

/// <summary>
/// ASP.NET Core Data Protection keys (they protect the login cookie, the antiforgery token and the consent state) in
/// PostgreSQL, so every replica on the database reads the cookies any other issued: a login session survives the loss of
/// the replica that made it. Stored as Data Protection writes them (unencrypted XML, like the signing keys' PEM in
/// <c>auth_signing_keys</c>): whoever can read the database can forge sessions.
/// </summary>
internal sealed class PostgresXmlRepository(NpgsqlDataSource db) : IXmlRepository
{
    private const string Create = "CREATE TABLE IF NOT EXISTS auth_data_protection_keys (friendly_name text PRIMARY KEY, xml text NOT NULL)";
    private volatile bool _created;

    // Data Protection calls these synchronously, rarely (the key ring is cached and refreshed about daily).
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        EnsureTable();
        using var cmd = db.CreateCommand("SELECT xml FROM auth_data_protection_keys ORDER BY friendly_name");
        using var reader = cmd.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read())
        {
            elements.Add(XElement.Parse(reader.GetString(0)));
        }
        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        EnsureTable();
        using var cmd = db.CreateCommand("INSERT INTO auth_data_protection_keys (friendly_name, xml) VALUES (@n, @x) ON CONFLICT (friendly_name) DO NOTHING");
        cmd.Parameters.AddWithValue("n", friendlyName);
        cmd.Parameters.AddWithValue("x", element.ToString(SaveOptions.DisableFormatting));
        cmd.ExecuteNonQuery();
    }

    private void EnsureTable()
    {
        if (_created)
        {
            return;
        }
        using var cmd = db.CreateCommand(Create);
        cmd.ExecuteNonQuery();
        _created = true;
    }
}

/// <summary>Registration of the shared key ring.</summary>
internal static class PostgresDataProtectionRegistration
{
    /// <summary>One application name for every replica (the default discriminator is the content root path, which may differ between hosts) and the key ring in PostgreSQL.</summary>
    public static IServiceCollection AddPostgresDataProtection(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName("Infrastructure.Auth.Server");
        services.AddSingleton<PostgresXmlRepository>();
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = sp.GetRequiredService<PostgresXmlRepository>()));
        return services;
    }
}
