using Infrastructure.Discovery.Client;

namespace Infrastructure.Proxy.Selection;

/// <summary>
/// The hosts one request has tried and the attempts it has left, so that each retry goes to another host (Istio's
/// retries with the <c>previous_hosts</c> predicate, Ribbon's <c>MaxAutoRetriesNextServer</c>): pass <see cref="Tried"/>
/// to <see cref="DestinationSelector.ChooseNext"/>.
/// </summary>
/// <param name="maxAttempts">Attempts in all, the first included.</param>
/// <param name="tried">Hosts this request tried before (an earlier round of retries), or null.</param>
internal sealed class NextHostRetry(int maxAttempts, List<string>? tried = null)
{
    private int _attemptsLeft = maxAttempts;

    /// <summary>Instance ids tried and failed so far; null before the first failure.</summary>
    public List<string>? Tried { get; private set; } = tried;

    /// <summary>Attempts left, the current one included.</summary>
    public int AttemptsLeft => _attemptsLeft;

    /// <summary>
    /// Notes that <paramref name="destination"/> failed this request; true when another attempt may follow: one is left
    /// and the request can be replayed (<paramref name="replayable"/>: nothing of its body was sent, or it has none).
    /// Whether another host remains is the selector's to say.
    /// </summary>
    public bool Failed(ServiceInstance destination, bool replayable)
    {
        (Tried ??= []).Add(destination.InstanceId);
        return --_attemptsLeft > 0 && replayable;
    }

    /// <summary>Notes that <paramref name="destination"/> is not to be chosen again for this request, without spending an attempt (its circuit was open: nothing was sent).</summary>
    public void Skipped(ServiceInstance destination) => (Tried ??= []).Add(destination.InstanceId);
}
