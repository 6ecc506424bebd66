using System.Security.Cryptography;
using Infrastructure.Mesh.Api.Resources;
using Microsoft.Extensions.Options;

namespace Infrastructure.Mesh.ControlPlane.Config;

/// <summary>
/// Reads the resource folder (<c>Mesh:ConfigPath</c>, recursively) into the <see cref="ResourceStore"/> on start, then on
/// every change: a FileSystemWatcher signals, the read waits for <c>Mesh:DebounceAfter</c> of quiet (at most
/// <c>Mesh:DebounceMax</c> after the first event), and a rescan every <c>Mesh:RescanInterval</c> catches missed events.
/// Only files whose content changed are read again.
/// </summary>
internal sealed partial class FolderSource(
    ResourceStore store,
    IOptions<MeshOptions> options,
    IHostEnvironment environment,
    TimeProvider time,
    ILogger<FolderSource> logger) : BackgroundService
{
    private readonly SemaphoreSlim _signal = new(0);
    private readonly Dictionary<string, string> _hashes = new(StringComparer.Ordinal);
    private readonly Lock _scanLock = new();
    private FileSystemWatcher? _watcher;

    /// <summary>The folder read, absolute.</summary>
    public string Folder { get; } = Path.GetFullPath(options.Value.ConfigPath, environment.ContentRootPath);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // The first read happens before the push server takes streams, so no sidecar is ever sent an empty first set by mistake.
        Scan();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var rescan = Task.Run(() => RescanLoopAsync(settings.RescanInterval, stoppingToken), stoppingToken);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                EnsureWatcher();
                if (!await _signal.WaitAsync(settings.RescanInterval, stoppingToken).ConfigureAwait(false))
                {
                    continue;
                }
                var first = time.GetTimestamp();
                // Debounce: wait for a quiet period, but never longer than DebounceMax after the first event.
                while (time.GetElapsedTime(first) < settings.DebounceMax)
                {
                    var left = settings.DebounceMax - time.GetElapsedTime(first);
                    var quiet = settings.DebounceAfter < left ? settings.DebounceAfter : left;
                    if (!await _signal.WaitAsync(quiet, stoppingToken).ConfigureAwait(false))
                    {
                        break;
                    }
                }
                Drain();
                Scan();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await rescan.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public override void Dispose()
    {
        _watcher?.Dispose();
        _signal.Dispose();
        base.Dispose();
    }

    private async Task RescanLoopAsync(TimeSpan interval, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, time, stoppingToken).ConfigureAwait(false);
                Scan();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogScanFailed(ex, Folder);
            }
        }
    }

    private void Drain()
    {
        while (_signal.Wait(0))
        {
        }
    }

    private void EnsureWatcher()
    {
        if (_watcher is not null || !Directory.Exists(Folder))
        {
            return;
        }
        try
        {
            var watcher = new FileSystemWatcher(Folder) { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.DirectoryName };
            watcher.Changed += (_, _) => _signal.Release();
            watcher.Created += (_, _) => _signal.Release();
            watcher.Deleted += (_, _) => _signal.Release();
            watcher.Renamed += (_, _) => _signal.Release();
            watcher.Error += (_, e) =>
            {
                // The kernel's queue overflowed or the folder went away: read everything again and rebuild the watcher.
                LogWatcherFailed(e.GetException(), Folder);
                Interlocked.Exchange(ref _watcher, null)?.Dispose();
                _signal.Release();
            };
            watcher.EnableRaisingEvents = true;
            _watcher = watcher;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            LogWatcherFailed(ex, Folder);
        }
    }

    /// <summary>Reads the files that changed since the last scan and applies them to the store.</summary>
    public void Scan()
    {
        lock (_scanLock)
        {
            var reads = new Dictionary<string, ResourceReadResult>(StringComparer.Ordinal);
            var present = new HashSet<string>(StringComparer.Ordinal);
            if (!Directory.Exists(Folder))
            {
                if (_hashes.Count == 0)
                {
                    LogFolderMissing(Folder);
                }
            }
            else
            {
                foreach (var (path, source) in ResourceFiles.Under(Folder))
                {
                    present.Add(source);
                    string hash;
                    try
                    {
                        hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        hash = "unreadable:" + ex.Message;
                    }
                    if (_hashes.TryGetValue(source, out var old) && old == hash)
                    {
                        continue;
                    }
                    _hashes[source] = hash;
                    var read = MeshResourceReader.ReadFile(path, source);
                    reads[source] = read;
                    foreach (var error in read.Errors)
                    {
                        LogRejected(error.ToString());
                    }
                    LogRead(source, read.Resources.Count, read.Errors.Count);
                }
            }
            var removed = _hashes.Keys.Where(k => !present.Contains(k)).ToList();
            foreach (var gone in removed)
            {
                _hashes.Remove(gone);
                LogRemoved(gone);
            }
            if (reads.Count > 0 || removed.Count > 0 || store.Current.Generation == 0)
            {
                store.Apply(reads, removed);
            }
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Rejected: {Error}")]
    private partial void LogRejected(string error);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Read {Source}: {Accepted} resources accepted, {Errors} errors")]
    private partial void LogRead(string source, int accepted, int errors);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Removed {Source}: its resources are withdrawn")]
    private partial void LogRemoved(string source);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "The resource folder {Folder} does not exist: no resources until it does")]
    private partial void LogFolderMissing(string folder);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Watching {Folder} failed; the periodic rescan goes on")]
    private partial void LogWatcherFailed(Exception? ex, string folder);

    [LoggerMessage(EventId = 6, Level = LogLevel.Error, Message = "Reading {Folder} failed")]
    private partial void LogScanFailed(Exception ex, string folder);
}
