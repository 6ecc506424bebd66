namespace Infrastructure.Eureka.Protocol;

/// <summary>Eureka's instance statuses, spelled as on the wire.</summary>
internal enum InstanceStatus
{
    UP,
    DOWN,
    STARTING,
    OUT_OF_SERVICE,
    UNKNOWN,
}

/// <summary>What happened to an instance, as reported in deltas.</summary>
internal enum ActionType
{
    ADDED,
    MODIFIED,
    DELETED,
}

/// <summary>Reads a status as Eureka does.</summary>
internal static class InstanceStatusParser
{
    /// <summary>Eureka maps any unrecognised status to UNKNOWN rather than failing.</summary>
    public static InstanceStatus ParseOrUnknown(string? value) =>
        TryParse(value, out var s) ? s : InstanceStatus.UNKNOWN;

    /// <summary>A status name in any case, as Eureka's <c>InstanceStatus.toEnum</c>; not Enum.TryParse, which also takes numbers and "UP,DOWN".</summary>
    public static bool TryParse(string? value, out InstanceStatus status) => TryParseName(value, InstanceStatus.UNKNOWN, out status);

    /// <summary>A delta's action type (ADDED, MODIFIED, DELETED) in any case.</summary>
    public static bool TryParseAction(string? value, out ActionType action) => TryParseName(value, ActionType.ADDED, out action);

    private static bool TryParseName<T>(string? value, T fallback, out T result)
        where T : struct, Enum
    {
        result = fallback;
        if (value is null)
        {
            return false;
        }
        var name = value.Trim();
        foreach (var candidate in Enum.GetValues<T>())
        {
            if (string.Equals(candidate.ToString(), name, StringComparison.OrdinalIgnoreCase))
            {
                result = candidate;
                return true;
            }
        }
        return false;
    }
}
