using System.ComponentModel.DataAnnotations;

namespace Infrastructure.Config.Server.Native;

/// <summary><c>ConfigServer:Native</c>: the file-system backend (Spring's <c>spring.cloud.config.server.native</c>), used when no other backend is configured.</summary>
public sealed class NativeOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "ConfigServer:Native";

    /// <summary>Comma-separated folders (optionally <c>file:</c>-prefixed; relative to the content root) with <c>{application}</c>, <c>{profile}</c>, <c>{label}</c> placeholders. Default <c>config-repo</c>.</summary>
    [Required(AllowEmptyStrings = false)]
    public string SearchLocations { get; set; } = "config-repo";

    /// <summary>Label echoed when the request has none. Default <c>master</c>, as Spring's.</summary>
    [Required(AllowEmptyStrings = false)]
    public string DefaultLabel { get; set; } = "master";

    /// <summary>Publish refresh events when files under the search locations change. Default true.</summary>
    public bool Watch { get; set; } = true;
}
