using System.Security.Cryptography;
using System.Text;
using Infrastructure.Config.Server.Environment;
using Infrastructure.Config.Server.Monitor;
using LibGit2Sharp;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;
using Microsoft.Extensions.Options;

namespace Infrastructure.Config.Server.Git;

/// <summary>
/// Spring's git backend: a local clone of <see cref="GitOptions.Uri"/>, fetched at most every <see cref="GitOptions.RefreshRate"/> seconds;
/// a label is a branch, tag or commit, files are read straight from that commit's tree, and <c>version</c> is the commit id.
/// </summary>
internal sealed partial class GitEnvironmentRepository : IEnvironmentRepository, IDisposable
{
    private static readonly string[] RefSpecs = ["+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"];
    private readonly GitOptions _options;
    private readonly ParsedFileCache _cache;
    private readonly RefreshEventBus _bus;
    private readonly ILogger<GitEnvironmentRepository> _logger;
    private readonly TimeProvider _time;
    // LibGit2Sharp is not thread-safe and has no asynchronous API: one operation at a time, awaited without a thread.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly string _displayUri;
    private Repository? _repo;
    private DateTimeOffset _lastFetch = DateTimeOffset.MinValue;

    public GitEnvironmentRepository(IOptions<GitOptions> options, ParsedFileCache cache, RefreshEventBus bus, ILogger<GitEnvironmentRepository> logger, TimeProvider time)
    {
        _options = options.Value;
        _cache = cache;
        _bus = bus;
        _logger = logger;
        _time = time;
        _displayUri = _options.Uri!.TrimEnd('/');
        BaseDir = _options.Basedir ?? Path.Combine(Path.GetTempPath(), "config-repo-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(_displayUri)))[..12]);
    }

    public string Kind => "git";

    public string BaseDir { get; }

    public Task<ConfigEnvironment> FindOneAsync(string application, IReadOnlyList<string> profiles, string? label, CancellationToken ct) =>
        ExclusiveAsync(async () =>
        {
            var repo = Refresh(force: false);
            var (commit, effectiveLabel) = Resolve(repo, label);
            var dirs = SearchDirs(application, profiles, effectiveLabel);
            var sources = await FileEnvironmentBuilder.BuildAsync(application, profiles, (name, token) => FindFilesAsync(commit, effectiveLabel, dirs, name, token), ct);
            return new ConfigEnvironment
            {
                Name = application,
                Profiles = [.. profiles],
                Label = label ?? effectiveLabel,
                Version = commit.Sha,
                PropertySources = sources,
            };
        }, ct);

    public Task<PlainTextResource?> FindResourceAsync(string application, IReadOnlyList<string> profiles, string? label, string path, CancellationToken ct) =>
        ExclusiveAsync(() =>
        {
            var repo = Refresh(force: false);
            var (commit, effectiveLabel) = Resolve(repo, label);
            foreach (var candidate in Native.NativeEnvironmentRepository.PlainTextCandidates(path, profiles))
            {
                foreach (var dir in SearchDirs(application, profiles, effectiveLabel))
                {
                    if (commit[dir + candidate]?.Target is Blob blob)
                    {
                        return Task.FromResult<PlainTextResource?>(new PlainTextResource($"{_displayUri}/{dir}{candidate}", ReadBlob(blob)));
                    }
                }
            }
            return Task.FromResult<PlainTextResource?>(null);
        }, ct);

    /// <summary>Fetches now (cloning first when there is no clone yet) and publishes a refresh event for files changed on any branch.</summary>
    internal Task RefreshNowAsync(CancellationToken ct) => ExclusiveAsync(() => Task.FromResult(Refresh(force: true)), ct);

    /// <summary>
    /// Runs <paramref name="work"/> alone, on a pool thread: a request waits for the gate without holding a thread, and the
    /// clone, the fetch (on every request at <c>RefreshRate</c> 0, as Spring) and the tree reads block no request thread.
    /// </summary>
    private async Task<T> ExclusiveAsync<T>(Func<Task<T>> work, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            // Not cancelled once started: a fetch broken off half-way would leave nothing better than the one finished.
            return await Task.Run(work, CancellationToken.None);
        }
        finally
        {
            _gate.Release();
        }
    }

    private Repository Refresh(bool force)
    {
        if (_repo is null)
        {
            _repo = OpenOrClone();
            _lastFetch = _time.GetUtcNow();
            return _repo;
        }
        var now = _time.GetUtcNow();
        if (!force && now - _lastFetch < TimeSpan.FromSeconds(_options.RefreshRate))
        {
            return _repo;
        }
        var before = BranchTips(_repo);
        try
        {
            Commands.Fetch(_repo, "origin", RefSpecs, new FetchOptions { Prune = true, CredentialsProvider = Credentials }, null);
            _lastFetch = now;
        }
        catch (LibGit2SharpException e)
        {
            // Serve the last fetched state rather than failing every request while the remote is unreachable.
            LogFetchFailed(_logger, _displayUri, e.Message);
            return _repo;
        }
        var changedPaths = new List<string>();
        foreach (var (name, tip) in BranchTips(_repo))
        {
            if (before.TryGetValue(name, out var old) && old == tip)
            {
                continue;
            }
            var newTree = _repo.Lookup<Commit>(tip).Tree;
            var oldTree = old is null ? null : _repo.Lookup<Commit>(old)?.Tree;
            using var changes = _repo.Diff.Compare<TreeChanges>(oldTree, newTree);
            changedPaths.AddRange(changes.Select(c => c.Path));
            LogNewCommit(_logger, name, tip);
        }
        if (changedPaths.Count > 0)
        {
            _bus.PublishForPaths(changedPaths, "git refresh");
        }
        return _repo;
    }

    private Repository OpenOrClone()
    {
        if (Repository.IsValid(BaseDir))
        {
            var existing = new Repository(BaseDir);
            try
            {
                Commands.Fetch(existing, "origin", RefSpecs, new FetchOptions { Prune = true, CredentialsProvider = Credentials }, null);
            }
            catch (LibGit2SharpException e)
            {
                LogFetchFailed(_logger, _displayUri, e.Message);
            }
            return existing;
        }
        if (Directory.Exists(BaseDir))
        {
            Directory.Delete(BaseDir, recursive: true);
        }
        var url = Directory.Exists(_options.Uri) ? Path.GetFullPath(_options.Uri!) : _options.Uri!;
        Repository.Clone(url, BaseDir, new CloneOptions(new FetchOptions { CredentialsProvider = Credentials }) { IsBare = true });
        var repo = new Repository(BaseDir);
        Commands.Fetch(repo, "origin", RefSpecs, new FetchOptions { CredentialsProvider = Credentials }, null);
        LogCloned(_logger, _displayUri, BaseDir);
        return repo;
    }

    private Credentials Credentials(string url, string usernameFromUrl, SupportedCredentialTypes types) =>
        _options.Username is null ? new DefaultCredentials() : new UsernamePasswordCredentials { Username = _options.Username, Password = _options.Password ?? "" };

    private static Dictionary<string, string?> BranchTips(Repository repo) =>
        repo.Refs.Where(r => r.CanonicalName.StartsWith("refs/remotes/origin/", StringComparison.Ordinal) && !r.CanonicalName.EndsWith("/HEAD", StringComparison.Ordinal))
            .ToDictionary(r => r.CanonicalName, r => (string?)r.ResolveToDirectReference()?.TargetIdentifier, StringComparer.Ordinal);

    private (Commit Commit, string Label) Resolve(Repository repo, string? label)
    {
        if (label is not null)
        {
            return (FindCommit(repo, label) ?? throw new NoSuchLabelException($"No such label: {label}"), label);
        }
        if (FindCommit(repo, _options.DefaultLabel) is { } c)
        {
            return (c, _options.DefaultLabel);
        }
        if (_options.DefaultLabel == "main" && FindCommit(repo, "master") is { } m)
        {
            return (m, "master");
        }
        throw new NoSuchLabelException($"No such label: {_options.DefaultLabel}");
    }

    private static Commit? FindCommit(Repository repo, string label)
    {
        foreach (var refName in new[] { "refs/remotes/origin/" + label, "refs/tags/" + label, "refs/heads/" + label })
        {
            if (repo.Refs[refName] is { } r && r.ResolveToDirectReference()?.Target is { } target)
            {
                return target as Commit ?? (target as TagAnnotation)?.Target as Commit;
            }
        }
        if (label.Length is >= 4 and <= 40 && label.All(Uri.IsHexDigit))
        {
            try
            {
                return repo.Lookup<Commit>(label);
            }
            catch (AmbiguousSpecificationException)
            {
                return null;
            }
        }
        return null;
    }

    /// <summary>The repository root, then each search path (placeholders filled), as tree prefixes ending in '/'.</summary>
    private List<string> SearchDirs(string application, IReadOnlyList<string> profiles, string label)
    {
        var dirs = new List<string> { "" };
        if (string.IsNullOrWhiteSpace(_options.SearchPaths))
        {
            return dirs;
        }
        foreach (var raw in _options.SearchPaths.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            IEnumerable<string> profileValues = raw.Contains("{profile}", StringComparison.Ordinal) ? profiles.Reverse() : [""];
            foreach (var p in profileValues)
            {
                var d = raw.Replace("{application}", application, StringComparison.Ordinal)
                    .Replace("{profile}", p, StringComparison.Ordinal)
                    .Replace("{label}", label.Replace('/', '_'), StringComparison.Ordinal)
                    .Trim('/');
                if (d.Length > 0 && !d.Contains('*', StringComparison.Ordinal))
                {
                    var prefix = RequestGuard.CheckRelativePath(d) + "/";
                    if (!dirs.Contains(prefix))
                    {
                        dirs.Add(prefix);
                    }
                }
            }
        }
        return dirs;
    }

    private async Task<List<LoadedFile>> FindFilesAsync(Commit commit, string label, List<string> dirs, string name, CancellationToken ct)
    {
        var files = new List<LoadedFile>();
        foreach (var dir in dirs)
        {
            foreach (var ext in ConfigFileParser.Extensions)
            {
                var path = dir + name + ext;
                if (commit[path]?.Target is not Blob blob)
                {
                    continue;
                }
                var display = $"{_displayUri}/{path}";
                var docs = await _cache.GetOrParseAsync($"git:{label}:{path}", blob.Sha, display, blob.Size, _ => ValueTask.FromResult(ReadBlob(blob)), ct);
                files.Add(new LoadedFile(display, docs));
            }
        }
        return files;
    }

    private static byte[] ReadBlob(Blob blob)
    {
        using var s = blob.GetContentStream();
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    public void Dispose()
    {
        _repo?.Dispose();
        _gate.Dispose();
    }

    [LoggerMessage(EventId = 1501, Level = LogLevel.Information, Message = "Cloned {Uri} into {BaseDir}")]
    private static partial void LogCloned(ILogger logger, string uri, string baseDir);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Warning, Message = "Fetch from {Uri} failed: {Error}; serving the last fetched commits")]
    private static partial void LogFetchFailed(ILogger logger, string uri, string error);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Information, Message = "{Ref} moved to {Commit}")]
    private static partial void LogNewCommit(ILogger logger, string @ref, string? commit);
}
