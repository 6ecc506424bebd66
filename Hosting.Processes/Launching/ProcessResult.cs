namespace Infrastructure.Hosting.Processes;

/// <summary>How a program run to its end ended: exit code and what it printed (<see cref="ProcessRunner"/>).</summary>
/// <param name="ExitCode">The exit code; -1 when it was killed for running too long.</param>
/// <param name="StandardOutput">Standard output, one line per printed line.</param>
/// <param name="StandardError">Standard error, one line per printed line.</param>
/// <param name="Output">Both, in the order the lines arrived.</param>
/// <param name="TimedOut">Whether it was killed for running too long.</param>
public sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError, string Output, bool TimedOut);
