namespace Infrastructure.Discovery.Server.Registry;

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

internal static class InstanceStatusParser
{
    /// <summary>Eureka maps any unrecognised status to UNKNOWN rather than failing.</summary>
    public static InstanceStatus ParseOrUnknown(string? value) =>
        TryParse(value, out var s) ? s : InstanceStatus.UNKNOWN;

    public static bool TryParse(string? value, out InstanceStatus status)
    {
        status = InstanceStatus.UNKNOWN;
        if (string.IsNullOrWhiteSpace(value) || value.Any(char.IsDigit))
        {
            return false;
        }
        return Enum.TryParse(value.Trim(), ignoreCase: true, out status) && Enum.IsDefined(status);
    }
}
