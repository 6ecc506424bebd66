using Infrastructure.Hosting.Processes;

namespace Infrastructure.Testing;

/// <summary>Locates the repository and the build output of its projects, so tests can start real server processes.</summary>
public static class RepoPaths
{
    /// <summary>The folder holding <c>Infrastructure.sln</c>.</summary>
    public static string Root { get; } = RepositoryLayout.FindRoot(AppContext.BaseDirectory);

    /// <summary>Build configuration the tests were built with (the servers are built alongside in the same one).</summary>
    public static string Configuration =>
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    /// <summary>Path of a project's built dll, e.g. <c>ProjectDll("Discovery.Server")</c>.</summary>
    public static string ProjectDll(string projectFolder, string? assemblyName = null)
    {
        var path = RepositoryLayout.ProjectDll(Root, projectFolder, Configuration, assemblyName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} is not built; build Infrastructure.sln (./build.ps1 build) before running the tests.", path);
        }
        return path;
    }
}
