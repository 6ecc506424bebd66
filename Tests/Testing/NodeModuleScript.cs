namespace Infrastructure.Testing;

/// <summary>Runs an ES module script (<c>node --input-type=module -e</c>) in <c>Tests/Interop.Js</c>, for ESM-only npm clients such as openid-client 6.</summary>
public static class NodeModuleScript
{
    /// <summary>Runs the module source; returns exit code and combined output. Killed after <paramref name="timeout"/>.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(string script, TimeSpan timeout, IDictionary<string, string>? environment = null)
        => NodeScript.RunAsync(script, timeout, environment, module: true);
}
