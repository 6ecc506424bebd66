using Infrastructure.ServiceDefaults.Lifetime;
using Infrastructure.Config.Client;
using Infrastructure.Discovery.Client;
using Infrastructure.Samples.Order.Catalog;
using Infrastructure.Samples.Order.Orders;
using Infrastructure.Samples.Shared.Chaos;
using Infrastructure.ServiceDefaults.Security;
using Infrastructure.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddConfigServer();
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
