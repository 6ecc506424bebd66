using System.Globalization;

namespace Infrastructure.Mesh.Sidecar.Hosting;

/// <summary>
/// Splits the sidecar's command line: its own flags (<c>--app-name</c>, <c>--metadata k=v</c>...) become <c>Sidecar:*</c>
/// settings, everything after <c>--</c> is the app's command, and any other argument is left for the host's configuration
/// (e.g. <c>--Eureka:Client:ServiceUrl:DefaultZone=...</c>).
/// </summary>
public sealed class SidecarCommandLine
{
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["--app-name"] = "AppName",
        ["--app-port"] = "AppPort",
        ["--inbound-port"] = "InboundPort",
        ["--outbound-port"] = "OutboundPort",
        ["--admin-port"] = "AdminPort",
        ["--control-plane"] = "ControlPlane",
        ["--app-health-path"] = "AppHealthPath",
        ["--drain-duration"] = "DrainDuration",
    };

    /// <summary>Settings from the sidecar's own flags, as configuration keys.</summary>
    public Dictionary<string, string?> Settings { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Arguments for the host's own configuration.</summary>
    public List<string> HostArguments { get; } = [];

    /// <summary>The app's command and arguments (empty: the app is started some other way).</summary>
    public List<string> AppCommand { get; } = [];

    /// <summary>Parses; a flag without its value throws <see cref="ArgumentException"/> naming it.</summary>
    public static SidecarCommandLine Parse(IReadOnlyList<string> args)
    {
        var line = new SidecarCommandLine();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                line.AppCommand.AddRange(args.Skip(i + 1));
                break;
            }
            var (name, inline) = Split(arg);
            if (name == "--metadata" || Flags.ContainsKey(name))
            {
                var value = inline ?? (i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value"));
                if (name == "--metadata")
                {
                    var eq = value.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        throw new ArgumentException($"--metadata takes key=value, got '{value}'");
                    }
                    line.Settings[$"{SidecarOptions.SectionName}:Metadata:{value[..eq]}"] = value[(eq + 1)..];
                }
                else
                {
                    line.Settings[$"{SidecarOptions.SectionName}:{Flags[name]}"] = name == "--drain-duration" ? Duration(value) : value;
                }
                continue;
            }
            line.HostArguments.Add(arg);
        }
        return line;
    }

    private static (string Name, string? Value) Split(string arg)
    {
        var eq = arg.IndexOf('=', StringComparison.Ordinal);
        return arg.StartsWith("--", StringComparison.Ordinal) && eq > 0 ? (arg[..eq], arg[(eq + 1)..]) : (arg, null);
    }

    // "5s", "500ms", "1m" as Istio writes durations, or a TimeSpan ("00:00:05").
    private static string Duration(string value)
    {
        var units = new (string Suffix, double Ms)[] { ("ms", 1), ("s", 1000), ("m", 60_000) };
        foreach (var (suffix, ms) in units)
        {
            if (value.EndsWith(suffix, StringComparison.Ordinal)
                && double.TryParse(value[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
            {
                return TimeSpan.FromMilliseconds(n * ms).ToString("c", CultureInfo.InvariantCulture);
            }
        }
        return value;
    }
}
