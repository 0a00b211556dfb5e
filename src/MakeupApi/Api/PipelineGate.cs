using System.Diagnostics;
using System.Threading.RateLimiting;
using MakeupApi.Errors;
using Microsoft.Extensions.Options;

namespace MakeupApi.Api;

/// <summary>
/// Bounds how many pipeline runs execute at once (the work is CPU-bound: more runs than cores only adds latency and
/// memory) and how many wait; past that a request is refused at once with Busy (429) instead of queueing without end.
/// Entered by the handlers after the form has been received, so a slow client's upload never holds a slot, and
/// before the uploads are copied out of the form, so waiting requests hold no image buffers.
/// </summary>
internal sealed class PipelineGate : IDisposable
{
    private readonly ConcurrencyLimiter _limiter;

    public PipelineGate(IOptions<ConcurrencyOptions> options)
    {
        var o = options.Value;
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = o.EffectiveMaxConcurrent,
            QueueLimit = o.QueueLimit,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>Waits for a slot (or throws MakeupException(Busy) when the queue is full); dispose the slot to free it.</summary>
    public async Task<Slot> EnterAsync(CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        var lease = await _limiter.AcquireAsync(1, cancellationToken);
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw new MakeupException(MakeupError.Busy, "The server is at capacity; retry after the time given in Retry-After.");
        }
        return new Slot(lease, waited.Elapsed.TotalMilliseconds);
    }

    /// <summary>Requests waiting for a slot now (for tests and diagnostics).</summary>
    internal long QueuedCount => _limiter.GetStatistics()?.CurrentQueuedCount ?? 0;

    public void Dispose() => _limiter.Dispose();

    internal sealed class Slot(RateLimitLease lease, double queueMilliseconds) : IDisposable
    {
        /// <summary>Time spent waiting for the slot, reported as the "queue" Server-Timing metric.</summary>
        public double QueueMilliseconds { get; } = queueMilliseconds;
        public void Dispose() => lease.Dispose();
    }
}
