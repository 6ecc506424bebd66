using System.Diagnostics;
using System.Text;
using Infrastructure.Testing;
using Xunit.Abstractions;

namespace Infrastructure.EndToEnd.Tests;

/// <summary>Runs every command of every lab page (docs/labs/*.md and their Korean twins, docs/labs/ko/*.md) against the running lab and checks the output each page promises.</summary>
[Collection(LabCollection.Name)]
public sealed class LabPagesTests(LabFixture fixture, ITestOutputHelper output)
{
    /// <summary>Every English page and every Korean twin (<c>ko/...</c>).</summary>
    public static TheoryData<string> Pages()
    {
        var data = new TheoryData<string>();
        foreach (var page in LabPage.EnglishPages()) { data.Add(page); }
        foreach (var page in LabPage.KoreanPages()) { data.Add(LabPage.Korean + "/" + page); }
        return data;
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task LabPage_EveryCommand_PrintsWhatThePageSays(string page)
    {
        Assert.False(fixture.Lab.HasExited, fixture.Lab.Output);
        var steps = LabPage.Parse(await File.ReadAllTextAsync(Path.Combine(LabPage.Folder, page)));
        Assert.NotEmpty(steps);
        Assert.Contains(steps, s => s.Expected.Count > 0);

        var (exit, text) = await RunBashAsync(LabPage.ToScript(steps), TimeSpan.FromMinutes(4));
        output.WriteLine(text);
        Assert.True(exit == 0, $"the page's commands exited with {exit}:\n{text}");
        var outputs = LabPage.SplitOutput(text, steps.Count);
        var failures = new StringBuilder();
        for (var i = 0; i < steps.Count; i++)
        {
            foreach (var expected in steps[i].Expected)
            {
                if (!outputs[i].Contains(expected, StringComparison.Ordinal))
                {
                    failures.Append($"{page}:{steps[i].Line}: expected '{expected}' in the output of\n{steps[i].Commands}got:\n{outputs[i]}\n\n");
                }
            }
        }
        Assert.True(failures.Length == 0, failures.ToString());
    }

    private static async Task<(int, string)> RunBashAsync(string script, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        // Every step runs as a student would type it; a failing command must not end the page (pages show failures on purpose).
        psi.ArgumentList.Add("-s");
        using var p = Process.Start(psi)!;
        var sb = new StringBuilder();
        var gate = new object();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (gate) { sb.Append(e.Data).Append('\n'); } } };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (gate) { sb.Append(e.Data).Append('\n'); } } };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        await p.StandardInput.WriteAsync(script + "\nexit 0\n");
        p.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(true); return (-1, "TIMEOUT\n" + sb); }
        p.WaitForExit();
        lock (gate) { return (p.ExitCode, sb.ToString()); }
    }
}
