using System.Diagnostics;

namespace MakeupApi.Pipeline;

/// <summary>Collects per-stage wall times of one request (reported in the Server-Timing header). One per request.</summary>
internal sealed class StageClock
{
    private readonly List<StageTiming> _timings = [];
    private readonly Lock _gate = new(); // stages of the two photos run in parallel and report here

    public T Time<T>(string stage, Func<T> work)
    {
        long start = Stopwatch.GetTimestamp();
        try { return work(); }
        finally { Add(stage, Stopwatch.GetElapsedTime(start).TotalMilliseconds); }
    }

    public void Time(string stage, Action work)
    {
        long start = Stopwatch.GetTimestamp();
        try { work(); }
        finally { Add(stage, Stopwatch.GetElapsedTime(start).TotalMilliseconds); }
    }

    public void Add(string stage, double milliseconds)
    {
        lock (_gate) _timings.Add(new StageTiming(stage, Math.Round(milliseconds, 2)));
    }

    public IReadOnlyList<StageTiming> Timings
    {
        get { lock (_gate) return [.. _timings]; }
    }
}
