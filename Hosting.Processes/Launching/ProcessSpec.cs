namespace Infrastructure.Hosting.Processes;

/// <summary>What to start: the program, its arguments and environment, its folder, and who sees its output lines.</summary>
public sealed class ProcessSpec
{
    /// <summary>A program and its arguments.</summary>
    public ProcessSpec(string fileName, IEnumerable<string>? arguments = null)
    {
        FileName = fileName;
        Arguments = [.. arguments ?? []];
    }

    /// <summary>The program (a path, or a name looked up on PATH).</summary>
    public string FileName { get; }

    /// <summary>Arguments, passed one by one (never through a shell).</summary>
    public List<string> Arguments { get; }

    /// <summary>Variables set over the inherited environment; a null value removes the variable.</summary>
    public Dictionary<string, string?> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>The working folder; the current one when null.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>When this process runs as root, the child runs as this user instead (<c>runuser -u USER --</c>).</summary>
    public string? AsUser { get; init; }

    /// <summary>Sees every output line (standard output and error) as it comes, on the reader's thread.</summary>
    public Action<OutputLine>? OnLine { get; init; }

    /// <summary>How many of the last lines to keep for <see cref="ChildProcess.Output"/>; all by default.</summary>
    public int KeepLines { get; init; } = int.MaxValue;

    /// <summary>Gives the child an empty standard input, so it never reads the terminal (nor takes its Ctrl+C keys).</summary>
    public bool DetachInput { get; init; }

    /// <summary>Sets <paramref name="values"/> over <see cref="Environment"/> and returns this spec.</summary>
    public ProcessSpec WithEnvironment(IEnumerable<KeyValuePair<string, string?>>? values)
    {
        foreach (var (k, v) in values ?? [])
        {
            Environment[k] = v;
        }
        return this;
    }
}

/// <summary>One line a child printed, and whether it came on standard error.</summary>
public readonly record struct OutputLine(string Text, bool IsError);
