using Infrastructure.Mesh.Api.Resources;

namespace Infrastructure.Mesh.ControlPlane.Config;

/// <summary>The resource files under a folder, each with its source name (the path relative to the folder, with <c>/</c>).</summary>
internal static class ResourceFiles
{
    public static IEnumerable<(string Path, string Source)> Under(string folder) =>
        Directory.EnumerateFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })
            // Editors' swap and backup files (.reviews.yaml.swp, reviews.yaml~) and hidden files are not resources.
            .Where(p => MeshResourceReader.IsResourceFile(p) && !System.IO.Path.GetFileName(p).StartsWith('.'))
            .Select(p => (p, System.IO.Path.GetRelativePath(folder, p).Replace('\\', '/')));
}
