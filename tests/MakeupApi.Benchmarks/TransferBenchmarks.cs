using BenchmarkDotNet.Attributes;
using MakeupApi.Evaluation;
using MakeupApi.FaceAnalysis;
using MakeupApi.Imaging;
using MakeupApi.Pipeline;
using MakeupApi.Transfer.Classical;
using OpenCvSharp;

namespace MakeupApi.Benchmarks;

/// <summary>
/// The whole /transfer work for two 1024x1024 photos (a shared bare face and a shared makeup face, upscaled and PNG
/// encoded as a client would send them), warm, with the service's defaults: decode, detect + mesh + iris, align and
/// parse (both photos in parallel), pose correction, classical engine, colour return, paste back and PNG encode.
/// Target: median total at most 200 ms on the 2-core development machine. HTTP overhead is not included.
/// After the run, <see cref="Cleanup"/> prints the per-stage medians the pipeline reported (its Server-Timing values)
/// over every measured call.
/// </summary>
[Config(typeof(ShortRunConfig))]
public class TransferBenchmarks
{
    private FaceAnalysisModels _models = null!;
    private MakeupPipeline _pipeline = null!;
    private byte[] _source = null!;
    private byte[] _reference = null!;
    private readonly List<IReadOnlyList<StageTiming>> _timings = [];

    [Params(OutputImageFormat.Png, OutputImageFormat.Jpeg)]
    public OutputImageFormat Format { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _models = FaceAnalysisFactory.CreateAll();
        _pipeline = MakeupPipeline.Create(_models.Analyzer, [new ClassicalMakeupEngine()]);
        var data = SharedData.Locate();
        _source = Photo1024(Path.Combine(data, "makeup", "images", "non-makeup", "xfsy_0491.png"));
        _reference = Photo1024(Path.Combine(data, "makeup", "images", "makeup", "00078.png"));
        Transfer(); // warm: ONNX Runtime prepares its graphs on the first run
        _timings.Clear();
    }

    private static byte[] Photo1024(string path)
    {
        using var image = Cv2.ImRead(path);
        if (image.Empty()) throw new FileNotFoundException($"Benchmark photo missing: {path}");
        using var big = image.Resize(new Size(1024, 1024), 0, 0, InterpolationFlags.Cubic);
        return big.ImEncode(".png");
    }

    [Benchmark]
    public int Transfer()
    {
        var result = _pipeline.Transfer(_source, _reference, new TransferOptions { Format = Format }, CancellationToken.None);
        _timings.Add(result.Timings);
        return result.Image.Length;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        var stages = _timings.SelectMany(t => t).GroupBy(t => t.Name)
            .Select(g => (g.Key, Median: Median(g.Select(t => t.Milliseconds))));
        Console.WriteLine($"// per-stage medians over {_timings.Count} calls ({Format}): " +
                          string.Join(", ", stages.Select(s => $"{s.Key} {s.Median:F1} ms")));
        _models.Dispose();
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN : sorted[sorted.Count / 2];
    }
}
