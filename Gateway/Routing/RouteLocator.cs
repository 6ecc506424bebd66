using System.Collections.Concurrent;
using Infrastructure.Discovery.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Infrastructure.Gateway.Routing;

/// <summary>
/// Owns the current <see cref="RouteTable"/>, rebuilt from configuration routes, routes posted to the actuator and
/// (with the discovery locator) one route per registered service. A rebuild that fails keeps the last good table.
/// </summary>
internal sealed partial class RouteLocator : IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly RouteFactory _factory;
    private readonly IServiceInstanceProvider _instances;
    private readonly IOptionsMonitor<GatewayOptions> _options;
    private readonly ILogger<RouteLocator> _logger;
    private readonly ConcurrentDictionary<string, RouteDefinition> _runtime = new(StringComparer.Ordinal);
    private readonly Lock _rebuild = new();
    private readonly IDisposable _configReload;
    private volatile RouteTable _table = RouteTable.Empty;
    private bool _initialized;

    public RouteLocator(IConfiguration configuration, RouteFactory factory, IServiceInstanceProvider instances,
        IOptionsMonitor<GatewayOptions> options, ILogger<RouteLocator> logger)
    {
        _configuration = configuration;
        _factory = factory;
        _instances = instances;
        _options = options;
        _logger = logger;
        _configReload = ChangeToken.OnChange(configuration.GetReloadToken, () => Refresh("configuration changed"));
        _instances.Changed += OnRegistryChanged;
    }

    /// <summary>The table requests are matched against now.</summary>
    public RouteTable Current => _table;

    /// <summary>Builds the first table; throws <see cref="RouteDefinitionException"/> so a bad configuration stops the start.</summary>
    public void Initialize()
    {
        lock (_rebuild)
        {
            _table = Build();
            _initialized = true;
            LogRoutesLoaded(_table.Routes.Length, "start");
        }
    }

    /// <summary>Rebuilds the table; on error logs it and keeps the last good table. Returns the error, if any.</summary>
    public string? Refresh(string reason)
    {
        lock (_rebuild)
        {
            if (!_initialized)
            {
                return null;
            }
            try
            {
                _table = Build();
                LogRoutesLoaded(_table.Routes.Length, reason);
                return null;
            }
            catch (RouteDefinitionException ex)
            {
                LogReloadRejected(ex, reason, ex.Message);
                return ex.Message;
            }
        }
    }

    /// <summary>Whether <paramref name="id"/> was created through the actuator.</summary>
    public bool IsRuntime(string id) => _runtime.ContainsKey(id);

    /// <summary>Adds or replaces a runtime route after checking it builds; throws <see cref="RouteDefinitionException"/> when it does not.</summary>
    public void Save(RouteDefinition definition)
    {
        _factory.Build(definition, ReadDefaultFilters(), RouteSource.Actuator);
        _runtime[definition.Id] = definition;
        Refresh($"route {definition.Id} saved");
    }

    /// <summary>Removes a runtime route; false when there is no such runtime route.</summary>
    public bool Delete(string id)
    {
        if (!_runtime.TryRemove(id, out _))
        {
            return false;
        }
        Refresh($"route {id} deleted");
        return true;
    }

    private RouteTable Build()
    {
        var defaults = ReadDefaultFilters();
        var routes = new List<Route>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        List<RouteDefinition> configured;
        try
        {
            configured = RouteDefinitionReader.ReadRoutes(_configuration);
        }
        catch (InvalidOperationException ex)
        {
            throw new RouteDefinitionException(ex.Message, ex);
        }
        foreach (var d in configured)
        {
            if (_runtime.ContainsKey(d.Id))
            {
                continue;
            }
            if (!ids.Add(d.Id))
            {
                throw new RouteDefinitionException($"route id '{d.Id}' is defined twice in {RouteDefinitionReader.RoutesSection}");
            }
            routes.Add(_factory.Build(d, defaults, RouteSource.Configuration));
        }
        foreach (var d in _runtime.Values)
        {
            ids.Add(d.Id);
            routes.Add(_factory.Build(d, defaults, RouteSource.Actuator));
        }
        var locator = _options.CurrentValue.Discovery.Locator;
        if (locator.Enabled)
        {
            foreach (var service in _instances.GetServices())
            {
                var d = DiscoveryRoute(locator.RouteIdPrefix, service.ToLowerInvariant());
                if (ids.Add(d.Id))
                {
                    routes.Add(_factory.Build(d, defaults, RouteSource.Discovery));
                }
            }
        }
        return new RouteTable([.. routes]);
    }

    /// <summary>Spring's discovery locator route: <c>Path=/{id}/**</c>, <c>RewritePath=/{id}/?(?&lt;remaining&gt;.*), /${remaining}</c>.</summary>
    internal static RouteDefinition DiscoveryRoute(string prefix, string serviceId) => new()
    {
        Id = prefix + serviceId,
        Uri = "lb://" + serviceId,
        Predicates = [NamedArgs.ParseShortcut($"Path=/{serviceId}/**")],
        Filters = [NamedArgs.ParseShortcut($"RewritePath=/{serviceId}/?(?<remaining>.*), /${{remaining}}")],
    };

    private List<NamedArgs> ReadDefaultFilters()
    {
        try
        {
            return RouteDefinitionReader.ReadDefaultFilters(_configuration);
        }
        catch (InvalidOperationException ex)
        {
            throw new RouteDefinitionException(ex.Message, ex);
        }
    }

    private void OnRegistryChanged(object? sender, EventArgs e)
    {
        if (_options.CurrentValue.Discovery.Locator.Enabled)
        {
            Refresh("registry changed");
        }
    }

    public void Dispose()
    {
        _configReload.Dispose();
        _instances.Changed -= OnRegistryChanged;
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Loaded {Count} routes ({Reason})")]
    private partial void LogRoutesLoaded(int count, string reason);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Routes not reloaded ({Reason}), keeping the previous table: {Error}")]
    private partial void LogReloadRejected(Exception exception, string reason, string error);
}
