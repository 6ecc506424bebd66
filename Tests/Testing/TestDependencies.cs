namespace Infrastructure.Testing;

/// <summary>External engines the test command (<c>./build.ps1 test</c>) installs and starts; tests fail loudly, never skip, when one is missing.</summary>
public static class TestDependencies
{
    /// <summary>Npgsql connection string of the PostgreSQL the test command started (<c>INFRA_TEST_POSTGRES</c>).</summary>
    public static string Postgres => Require("INFRA_TEST_POSTGRES", "PostgreSQL");

    /// <summary>StackExchange.Redis configuration of the Redis the test command started (<c>INFRA_TEST_REDIS</c>).</summary>
    public static string Redis => Require("INFRA_TEST_REDIS", "Redis");

    /// <summary>Debian's Chromium, driven by Playwright.</summary>
    public static string Chromium
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("INFRA_TEST_CHROMIUM") ?? "/usr/bin/chromium";
            return File.Exists(path)
                ? path
                : throw new InvalidOperationException($"Chromium not found at {path}: run the tests with `dotnet pwsh ./build.ps1 test`, which installs Debian's chromium.");
        }
    }

    /// <summary>The folder with the npm clients (<c>Tests/Interop.Js</c>), installed by the test command.</summary>
    public static string NodeClients
    {
        get
        {
            var dir = Path.Combine(RepoPaths.Root, "Tests", "Interop.Js");
            return Directory.Exists(Path.Combine(dir, "node_modules"))
                ? dir
                : throw new InvalidOperationException($"{dir}/node_modules missing: run `npm ci` there (the test command does).");
        }
    }

    private static string Require(string variable, string what) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } v
            ? v
            : throw new InvalidOperationException($"{what} is not available ({variable} unset): run the tests with `dotnet pwsh ./build.ps1 test`, which starts it on 127.0.0.1.");
}
