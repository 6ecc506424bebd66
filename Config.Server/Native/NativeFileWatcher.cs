using System.Collections.Concurrent;
using Infrastructure.Config.Server.Environment;
using Infrastructure.Config.Server.Monitor;
using Microsoft.Extensions.Options;

namespace Infrastructure.Config.Server.Native;

/// <summary>Watches the native search locations and publishes a refresh event for the files that changed (debounced).</summary>
internal sealed partial class NativeFileWatcher(IEnvironmentRepository repository, IOptions<NativeOptions> options, RefreshEventBus bus, ILogger<NativeFileWatcher> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(300);
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly ConcurrentDictionary<string, byte> _pending = new(StringComparer.Ordinal);
    private Timer? _timer;
    private IReadOnlyList<NativeEnvironmentRepository> _natives = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var natives = repository switch
        {
            NativeEnvironmentRepository n => [n],
            CompositeEnvironmentRepository c => c.Repositories.OfType<NativeEnvironmentRepository>().ToList(),
            _ => [],
        };
        if (!options.Value.Watch || natives.Count == 0)
        {
            return Task.CompletedTask;
        }
        _timer = new Timer(_ => Flush());
        foreach (var root in natives.SelectMany(n => n.WatchRoots).Distinct(StringComparer.Ordinal))
        {
            var w = new FileSystemWatcher(root)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime | NotifyFilters.DirectoryName,
            };
            w.Changed += (_, e) => OnChange(e.FullPath);
            w.Created += (_, e) => OnChange(e.FullPath);
            w.Deleted += (_, e) => OnChange(e.FullPath);
            w.Renamed += (_, e) => { OnChange(e.OldFullPath); OnChange(e.FullPath); };
            w.Error += (_, e) =>
            {
                foreach (var n in natives)
                {
                    n.Invalidate();
                }
                LogWatcherError(logger, root, e.GetException());
            };
            w.EnableRaisingEvents = true;
            lock (_watchers)
            {
                _watchers.Add(w);
            }
            LogWatching(logger, root);
        }
        _natives = natives;
        foreach (var n in natives)
        {
            // Reuse only when every location of that repository is under a watched folder.
            if (n.Locations.All(l => _watchers.Exists(w => l.Absolute.StartsWith(w.Path.TrimEnd('/') + "/", StringComparison.Ordinal))))
            {
                n.MarkWatched();
            }
        }
        return Task.CompletedTask;
    }

    private void OnChange(string path)
    {
        foreach (var n in _natives)
        {
            n.Invalidate();
        }
        var name = Path.GetFileName(path);
        if (name.Length == 0 || name.StartsWith('.') || name.EndsWith('~') || Directory.Exists(path))
        {
            return;
        }
        _pending[path] = 0;
        _timer?.Change(Debounce, Timeout.InfiniteTimeSpan);
    }

    private void Flush()
    {
        var paths = _pending.Keys.ToList();
        foreach (var p in paths)
        {
            _pending.TryRemove(p, out _);
        }
        if (paths.Count > 0)
        {
            bus.PublishForPaths(paths.Select(Path.GetFileName).OfType<string>(), "file change");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        FileSystemWatcher[] watchers;
        lock (_watchers)
        {
            watchers = [.. _watchers];
            _watchers.Clear();
        }
        foreach (var w in watchers)
        {
            w.EnableRaisingEvents = false;
            w.Dispose();
        }
        _timer?.Dispose();
        _timer = null;
    }

    [LoggerMessage(EventId = 1401, Level = LogLevel.Information, Message = "Watching {Root} for configuration changes")]
    private static partial void LogWatching(ILogger logger, string root);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "File watcher on {Root} failed")]
    private static partial void LogWatcherError(ILogger logger, string root, Exception e);
}
