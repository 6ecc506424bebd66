using System.Net;

namespace Infrastructure.Config.Client.Tests.Fetching;

/// <summary>Answers requests by host: a status and body per host, or a refused connection for a host it does not know.</summary>
internal sealed class StubHandler(Dictionary<string, (HttpStatusCode Status, string Body)> answers) : HttpMessageHandler
{
    public List<HttpRequestMessage> Requests { get; } = [];

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Add(request);
        if (!answers.TryGetValue(request.RequestUri!.Host, out var answer))
        {
            throw new HttpRequestException("Connection refused (" + request.RequestUri.Authority + ")");
        }
        return Task.FromResult(new HttpResponseMessage(answer.Status) { Content = new StringContent(answer.Body) });
    }
}
