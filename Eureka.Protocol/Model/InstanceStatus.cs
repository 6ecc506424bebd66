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
    public static bool TryParse(string? value, out InstanceStatus status)
    {
        status = InstanceStatus.UNKNOWN;
        if (value is null)
        {
            return false;
        }
        var name = value.Trim();
        foreach (var candidate in Enum.GetValues<InstanceStatus>())
        {
            if (string.Equals(candidate.ToString(), name, StringComparison.OrdinalIgnoreCase))
            {
                status = candidate;
                return true;
            }
        }
        return false;
    }

    /// <summary>A delta's action type (ADDED, MODIFIED, DELETED) in any case.</summary>
    public static bool TryParseAction(string? value, out ActionType action)
    {
        action = ActionType.ADDED;
        if (value is null)
        {
            return false;
        }
        var name = value.Trim();
        foreach (var candidate in Enum.GetValues<ActionType>())
        {
            if (string.Equals(candidate.ToString(), name, StringComparison.OrdinalIgnoreCase))
            {
                action = candidate;
                return true;
            }
        }
        return false;
    }
}
