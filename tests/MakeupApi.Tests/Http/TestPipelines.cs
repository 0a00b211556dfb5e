using MakeupApi.Errors;
using MakeupApi.Imaging;
using MakeupApi.Pipeline;

namespace MakeupApi.Tests.Http;

/// <summary>
/// Pipeline doubles for tests of the HTTP layer itself (parameter mapping, limits, error mapping, concurrency).
/// They never stand in for the real pipeline's behaviour: those tests are in <see cref="RealPipelineTests"/>.
/// </summary>
internal sealed class RecordingPipeline : IMakeupPipeline
{
    public static readonly byte[] ResultBytes = TestImages.GreyPng(8, 8);
    private int _calls;

    public TransferOptions? LastOptions { get; private set; }
    public int Calls => Volatile.Read(ref _calls);
    public IReadOnlyList<string> AvailableEngines => ["classical"];

    public TransferResult Transfer(ReadOnlySpan<byte> source, ReadOnlySpan<byte> reference, TransferOptions options, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        LastOptions = options;
        return new TransferResult(ResultBytes, ImageCodec.ContentType(options.Format), "classical", 8, 8,
            [new StageTiming("decode", 1.25), new StageTiming("detect", 2.5)]);
    }

    public AnalyzeResult Analyze(ReadOnlySpan<byte> image, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        return new AnalyzeResult(8, 8, [], [new StageTiming("decode", 1)]);
    }
}

internal sealed class ThrowingPipeline(Exception exception) : IMakeupPipeline
{
    public IReadOnlyList<string> AvailableEngines => ["classical"];
    public TransferResult Transfer(ReadOnlySpan<byte> source, ReadOnlySpan<byte> reference, TransferOptions options, CancellationToken cancellationToken) => throw exception;
    public AnalyzeResult Analyze(ReadOnlySpan<byte> image, CancellationToken cancellationToken) => throw exception;
}

/// <summary>Holds every call until <see cref="Release"/>, so tests can fill the limiter's slots deterministically.</summary>
internal sealed class BlockingPipeline : IMakeupPipeline, IDisposable
{
    // A held call blocks the pool thread the endpoint runs the pipeline on, as the real CPU-bound pipeline does. Above
    // its minimum the thread pool adds threads only gradually, and while the other test classes keep both cores of a
    // 2-core machine busy it may add none: in stop 23 (run-all, twice in about eight runs over two stops) the request a
    // ConcurrencyTests test sent while one call was held reached the server only when that call gave up after 30 s,
    // took the freed slot and was held in turn, so the test saw 500 where it expected 429. A higher floor lets the
    // requests sent meanwhile start at once; the limiter under test, not the pool, decides what they get.
    private const int MinimumPoolThreads = 32;

    static BlockingPipeline()
    {
        ThreadPool.GetMinThreads(out int workers, out int completionPorts);
        ThreadPool.SetMinThreads(Math.Max(workers, MinimumPoolThreads), completionPorts);
    }

    private readonly ManualResetEventSlim _release = new(false);
    public SemaphoreSlim Entered { get; } = new(0);
    public IReadOnlyList<string> AvailableEngines => ["classical"];

    public void Release() => _release.Set();

    public TransferResult Transfer(ReadOnlySpan<byte> source, ReadOnlySpan<byte> reference, TransferOptions options, CancellationToken cancellationToken)
    {
        Entered.Release();
        // Bounded, so a broken test cannot hang the run.
        if (!_release.Wait(TimeSpan.FromSeconds(30), cancellationToken))
            throw new TimeoutException("BlockingPipeline was never released.");
        return new TransferResult(RecordingPipeline.ResultBytes, "image/png", "classical", 8, 8, []);
    }

    public AnalyzeResult Analyze(ReadOnlySpan<byte> image, CancellationToken cancellationToken) =>
        throw new MakeupException(MakeupError.InvalidParameter, "not used");

    public void Dispose()
    {
        _release.Set();
        _release.Dispose();
        Entered.Dispose();
    }
}

internal sealed class FixedReadiness(bool ready) : IReadiness
{
    public bool IsReady => ready;
}
