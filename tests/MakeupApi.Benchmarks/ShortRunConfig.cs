using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace MakeupApi.Benchmarks;

/// <summary>
/// A short job for millisecond-scale work on a small machine: one launch, 3 warm-up and 12 measured iterations of
/// ~250 ms each, so a class of a dozen cases finishes in a few minutes on 2 cores. In-process: nothing is rebuilt, and
/// native ONNX Runtime / OpenCV state is what the service sees. Reports the median (the figure the targets use) and P95.
/// </summary>
public sealed class ShortRunConfig : ManualConfig
{
    public ShortRunConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(12)
            .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250)));
        AddColumn(StatisticColumn.Median, StatisticColumn.P95);
    }
}
