namespace Infrastructure.Config.Server.Environment;

/// <summary>A label (branch, tag, commit) the backend does not have; answered 404 as Spring's <c>NoSuchLabelException</c>.</summary>
internal sealed class NoSuchLabelException(string message) : Exception(message);

/// <summary>A request that can never succeed (path traversal, malformed name); answered 400.</summary>
internal sealed class BadConfigRequestException(string message) : Exception(message);

/// <summary>A configuration file that does not parse and has no last good copy; answered 500 for the applications that read it.</summary>
internal sealed class ConfigFileParseException(string file, long? line, string error, Exception? inner = null)
    : Exception(line is null ? $"Cannot parse {file}: {error}" : $"Cannot parse {file} at line {line}: {error}", inner)
{
    /// <summary>The file that failed.</summary>
    public string File { get; } = file;

    /// <summary>1-based line of the error when the parser knows it.</summary>
    public long? Line { get; } = line;

    /// <summary>The parser's message.</summary>
    public string Error { get; } = error;
}

/// <summary>The backend cannot be reached or did not answer in time (refused, reset, past its timeouts); answered 503 with <c>Retry-After</c>.</summary>
internal sealed class BackendUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The backend has no space left to store a write; answered 507 Insufficient Storage, and nothing of the write was kept.</summary>
internal sealed class BackendStorageFullException(string message, Exception? inner = null) : Exception(message, inner);
