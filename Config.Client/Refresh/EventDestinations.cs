using System.Text.Json;

namespace Infrastructure.Config.Client.Refresh;

/// <summary>Spring Cloud Bus destinations (<c>name</c>, <c>name:profile</c>, <c>*</c>, <c>*:profile</c>, <c>name:**</c>) matched against this application.</summary>
internal static class EventDestinations
{
    /// <summary>Whether a refresh event's destinations include the application <paramref name="name"/> with one of <paramref name="profiles"/>.</summary>
    public static bool Concerns(string eventJson, string name, IReadOnlyList<string> profiles)
    {
        try
        {
            using var doc = JsonDocument.Parse(eventJson);
            if (!doc.RootElement.TryGetProperty("destinations", out var ds) || ds.ValueKind != JsonValueKind.Array)
            {
                return true; // an event without destinations is for everyone
            }
            foreach (var d in ds.EnumerateArray().Select(x => x.GetString() ?? ""))
            {
                var colon = d.IndexOf(':', StringComparison.Ordinal);
                var destinationName = colon < 0 ? d : d[..colon];
                var profile = colon < 0 ? null : d[(colon + 1)..];
                if ((destinationName == "*" || string.Equals(destinationName, name, StringComparison.OrdinalIgnoreCase))
                    && (profile is null || profile == "**" || profiles.Contains(profile, StringComparer.Ordinal)))
                {
                    return true;
                }
            }
            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
