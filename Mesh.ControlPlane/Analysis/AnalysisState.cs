using Infrastructure.Mesh.ControlPlane.Config;

namespace Infrastructure.Mesh.ControlPlane.Analysis;

/// <summary>
/// Runs the analyzers after every change of the resources in force and, when a registry is configured
/// (<c>Eureka:Client:ServiceUrl:DefaultZone</c>), every 30 s against its instances; new findings are logged once.
/// </summary>
internal sealed partial class AnalysisState(
    ResourceStore store,
    IHttpClientFactory httpClients,
    IConfiguration configuration,
    TimeProvider time,
    ILogger<AnalysisState> logger) : BackgroundService
{
    public const string HttpClientName = "eureka-analysis";
    private static readonly TimeSpan RegistryInterval = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _signal = new(0);
    private HashSet<string> _logged = new(StringComparer.Ordinal);
    private IReadOnlyList<Workload>? _workloads;
    private IReadOnlyList<Finding> _findings = [];

    /// <summary>The findings of the last run.</summary>
    public IReadOnlyList<Finding> Findings => Volatile.Read(ref _findings);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        store.Changed += OnChanged;
        try
        {
            var registry = EurekaWorkloads.FirstServiceUrl(configuration["Eureka:Client:ServiceUrl:DefaultZone"]);
            var nextRegistryRead = time.GetTimestamp();
            var first = true;
            while (!stoppingToken.IsCancellationRequested)
            {
                if (registry is not null && (first || time.GetElapsedTime(nextRegistryRead) >= TimeSpan.Zero))
                {
                    await ReadRegistryAsync(registry, stoppingToken).ConfigureAwait(false);
                    nextRegistryRead = time.GetTimestamp() + (long)(RegistryInterval.TotalSeconds * time.TimestampFrequency);
                }
                first = false;
                Run();
                await _signal.WaitAsync(RegistryInterval, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            store.Changed -= OnChanged;
        }
    }

    public override void Dispose()
    {
        _signal.Dispose();
        base.Dispose();
    }

    private void OnChanged(ResourceSnapshot _) => _signal.Release();

    private async Task ReadRegistryAsync(Uri registry, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            _workloads = await EurekaWorkloads.ReadAsync(httpClients.CreateClient(HttpClientName), registry, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
        {
            // Without the registry the registry-based checks are skipped rather than reporting every subset as empty.
            _workloads = null;
            LogRegistryUnavailable(ex.Message);
        }
    }

    private void Run()
    {
        var snapshot = store.Current;
        var findings = MeshAnalyzer.Analyze(snapshot.Resources, [], _workloads);
        Volatile.Write(ref _findings, findings);
        var lines = findings.Select(f => f.ToString()).ToHashSet(StringComparer.Ordinal);
        foreach (var line in lines.Where(l => !_logged.Contains(l)))
        {
            LogFinding(line);
        }
        _logged = lines;
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "Analysis: {Finding}")]
    private partial void LogFinding(string finding);

    [LoggerMessage(EventId = 31, Level = LogLevel.Information, Message = "Analysis: the registry could not be read ({Reason}); IST0101 host, IST0127 and IST0173 are skipped")]
    private partial void LogRegistryUnavailable(string reason);
}
