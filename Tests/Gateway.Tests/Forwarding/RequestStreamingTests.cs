using System.Text;
using Infrastructure.Gateway.Tests.Support;

namespace Infrastructure.Gateway.Tests.Forwarding;

[Collection(GatewayCollection.Name)]
public sealed class RequestStreamingTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Forward_SmallChunkOfStreamedRequestBody_ReachesBackendBeforeClientSendsTheRest()
    {
        var path = $"/echo/{Guid.NewGuid():N}";
        // 11 bytes, then the client waits until the backend has them: they must not sit in a buffer of the gateway.
        var content = new GatedContent(async () =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!fixture.A.Counters.ContainsKey("received:" + path))
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException("the backend saw nothing of the first 11 bytes");
                }
                await Task.Delay(20);
            }
        });
        using var r = await fixture.Client.PostAsync(path, content);
        Assert.Equal(22, (await EchoResponse.ReadAsync(r)).BodyLength);
    }

    /// <summary>A chunked body in two 11-byte pieces with a gate between them.</summary>
    private sealed class GatedContent(Func<Task> gate) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes("first part\n"));
            await stream.FlushAsync();
            await gate();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("rest  part\n"));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
