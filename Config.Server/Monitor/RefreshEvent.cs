using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Infrastructure.Config.Server.Monitor;

/// <summary>
/// A refresh notification, shaped after Spring Cloud Bus's <c>RefreshRemoteApplicationEvent</c>: <see cref="Destinations"/> holds
/// <c>name</c>, <c>name:profile</c>, <c>*</c> (every application) or <c>*:profile</c>, guessed from the changed file names as Spring's <c>/monitor</c> does.
/// </summary>
public sealed record RefreshEvent(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("timestamp")] long Timestamp,
    [property: JsonPropertyName("originService")] string OriginService,
    [property: JsonPropertyName("destinations")] IReadOnlyList<string> Destinations,
    [property: JsonPropertyName("paths")] IReadOnlyList<string> Paths,
    [property: JsonPropertyName("reason")] string Reason)
{
    private byte[]? _frame;

    /// <summary>The Server-Sent Events frame (<c>id</c>, <c>event: refresh</c>, <c>data</c>), built once however many subscribers get it.</summary>
    [JsonIgnore]
    public ReadOnlyMemory<byte> SseFrame => _frame ??= Encoding.UTF8.GetBytes(
        "id: " + Id.ToString(CultureInfo.InvariantCulture) + "\nevent: refresh\ndata: " + JsonSerializer.Serialize(this) + "\n\n");
}
