using Infrastructure.ServiceDefaults.Lifetime;
using Infrastructure.Config.Client;
using Infrastructure.Discovery.Client;
using Infrastructure.Samples.Order.Catalog;
using Infrastructure.Samples.Order.Orders;
using Infrastructure.Samples.Shared.Chaos;
using Infrastructure.ServiceDefaults.Security;
using Infrastructure.ServiceDefaults;
using Infrastructure.ServiceDefaults.Logging;

var builder = WebApplication.CreateBuilder(args);
// Config.Client logs while it loads, before the host exists: in the host's Serilog format, not the default console's.
builder.AddConfigServer(builder.CreateBootstrapLoggerFactory());
builder.AddServiceDefaults();
builder.AddDiscoveryClient();
builder.AddScopeAuthorization(audience: "orders", scopes: ["order.read", "order.write"]);
builder.AddCatalogClient();

var app = builder.Build();
app.UseChaos();
app.MapDefaultEndpoints();
app.UseAuthentication();
app.UseAuthorization();
app.MapOrders();
return app.RunServer();

/// <summary>Entry point, visible to WebApplicationFactory.</summary>
public partial class Program;
