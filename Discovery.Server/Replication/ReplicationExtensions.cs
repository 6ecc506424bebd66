using Infrastructure.ServiceDefaults.Options;

namespace Infrastructure.Discovery.Server.Replication;

/// <summary>Registers peer replication.</summary>
internal static class ReplicationExtensions
{
    /// <summary>Replicates to the peers in <c>Eureka:Client:ServiceUrl:DefaultZone</c> (this node excluded) and syncs from them on start.</summary>
    public static IHostApplicationBuilder AddReplication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PeerOptions>()
            .BindConfiguration(PeerOptions.Section)
            .CheckSettings(PeerOptions.Check)
            .ValidateOnStart();
        builder.Services.AddSingleton<PeerNodes>();
        builder.Services.AddSingleton<IPeerReplicator>(sp => sp.GetRequiredService<PeerNodes>());
        builder.Services.AddHostedService<PeerReplicator>();
        return builder;
    }
}
