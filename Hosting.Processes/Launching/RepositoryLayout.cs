namespace Infrastructure.Hosting.Processes;

/// <summary>Where the repository is and where its projects' builds land, for starting them as processes.</summary>
public static class RepositoryLayout
{
    /// <summary>The file that marks the repository's root folder.</summary>
    public const string SolutionFile = "Infrastructure.sln";

    /// <summary>
    /// The folder holding <see cref="SolutionFile"/>, above <paramref name="starts"/> (by default the running program's
    /// folder, then the current one); throws <see cref="InvalidOperationException"/> when there is none.
    /// </summary>
    public static string FindRoot(params string[] starts)
    {
        foreach (var start in starts.Length > 0 ? starts : [AppContext.BaseDirectory, Directory.GetCurrentDirectory()])
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, SolutionFile))) { return dir.FullName; }
            }
        }
        throw new InvalidOperationException($"{SolutionFile} not found above {string.Join(" or ", starts.Length > 0 ? starts : [AppContext.BaseDirectory, Directory.GetCurrentDirectory()])}");
    }

    /// <summary>Where a project's dll is built, e.g. <c>{root}/Gateway/bin/Release/net10.0/Gateway.dll</c> (whether or not it exists).</summary>
    public static string ProjectDll(string root, string projectFolder, string configuration, string? assemblyName = null) =>
        Path.Combine(root, projectFolder, "bin", configuration, "net10.0", (assemblyName ?? Path.GetFileName(projectFolder)) + ".dll");
}
