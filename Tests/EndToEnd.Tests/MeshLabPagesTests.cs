using Infrastructure.Testing;
using Xunit.Abstractions;

namespace Infrastructure.EndToEnd.Tests;

/// <summary>Runs the lab pages that start the lab with <c>--mesh</c> (docs/labs/service-mesh.md and its Korean twin) against such a lab.</summary>
[Collection(MeshLabCollection.Name)]
public sealed class MeshLabPagesTests(MeshLabFixture fixture, ITestOutputHelper output)
{
    /// <summary>Every English page and Korean twin that needs the mesh.</summary>
    public static TheoryData<string> Pages() => LabPageRun.Pages(mesh: true);

    [Theory]
    [MemberData(nameof(Pages))]
    public Task MeshLabPage_EveryCommand_PrintsWhatThePageSays(string page) => LabPageRun.RunAsync(fixture.Lab, page, output);
}

/// <summary>
/// The lab with the service mesh on its default ports (the registry on a free one, since <see cref="LabFixture"/>'s lab
/// may run beside it and the mesh pages never call it): the control plane watching <c>mesh-config/</c> in the
/// repository root and Bookinfo behind its sidecars; no other server and no dashboard, the mesh pages use none.
/// </summary>
public sealed class MeshLabFixture : IAsyncLifetime
{
    /// <summary>The running lab.</summary>
    public LabProcess Lab { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync() =>
        Lab = await LabProcess.StartAsync(
            ["--mesh", "--only", "discovery", "--no-dashboard", "--port", $"discovery={FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture)}"],
            TimeSpan.FromMinutes(4));

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await Lab.SignalAsync("INT");
        await Lab.WaitForExitAsync(TimeSpan.FromSeconds(60));
        await Lab.DisposeAsync();
    }
}

/// <summary>Tests that share one lab with the mesh; they run one after the other.</summary>
[CollectionDefinition(Name)]
public sealed class MeshLabCollection : ICollectionFixture<MeshLabFixture>
{
    /// <summary>Collection name.</summary>
    public const string Name = "mesh-lab";
}
