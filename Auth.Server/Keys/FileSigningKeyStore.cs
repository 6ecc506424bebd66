using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Infrastructure.Auth.Server.Keys;

/// <summary>One JSON file per key, readable by the owner only.</summary>
internal sealed partial class FileSigningKeyStore(IOptions<SigningKeyOptions> options, IHostEnvironment environment, ILogger<FileSigningKeyStore> logger)
    : Stores.ISigningKeyStore
{
    private string Folder => System.IO.Path.GetFullPath(options.Value.Path, environment.ContentRootPath);

    public async Task<IReadOnlyList<Stores.StoredSigningKey>> LoadKeysAsync(CancellationToken ct)
    {
        if (!Directory.Exists(Folder))
        {
            return [];
        }
        var keys = new List<Stores.StoredSigningKey>();
        foreach (var file in Directory.EnumerateFiles(Folder, "*.key.json"))
        {
            try
            {
                await using var stream = File.OpenRead(file);
                if (await JsonSerializer.DeserializeAsync<Stores.StoredSigningKey>(stream, cancellationToken: ct) is { } key)
                {
                    keys.Add(key);
                }
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                // A half-written or foreign file must not take the server down; it is skipped and reported.
                LogUnreadableKey(logger, file, e.Message);
            }
        }
        return keys;
    }

    public async Task StoreKeyAsync(Stores.StoredSigningKey key, CancellationToken ct)
    {
        Directory.CreateDirectory(Folder);
        var path = System.IO.Path.Combine(Folder, key.Id + ".key.json");
        var temp = path + ".tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        await using (var stream = new FileStream(temp, fileOptions))
        {
            await JsonSerializer.SerializeAsync(stream, key, cancellationToken: ct);
        }
        File.Move(temp, path, overwrite: true);
    }

    public Task DeleteKeyAsync(string id, CancellationToken ct)
    {
        File.Delete(System.IO.Path.Combine(Folder, id + ".key.json"));
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Signing key file {File} skipped: {Reason}")]
    private static partial void LogUnreadableKey(ILogger logger, string file, string reason);
}
