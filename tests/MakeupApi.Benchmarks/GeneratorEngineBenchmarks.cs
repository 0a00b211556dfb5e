using BenchmarkDotNet.Attributes;
using MakeupApi.Alignment;
using MakeupApi.Evaluation;
using MakeupApi.FaceAnalysis;
using MakeupApi.Onnx;
using MakeupApi.Pipeline;
using MakeupApi.PoseCorrection;
using MakeupApi.Transfer;
using MakeupApi.Transfer.Classical;
using MakeupApi.Transfer.Generator;

namespace MakeupApi.Benchmarks;

/// <summary>
/// The generator engine's own step (<see cref="GeneratorMakeupEngine.Transfer"/>: complexion shift, network, detail
/// return, skin layer, region weights) on one real aligned pair at the working size (512), warm, with and without the
/// skin layer (<see cref="FoundationLayer"/>), so the layer's cost is read within one run. Face analysis, pose
/// correction, colour return and paste are not included (the engine comparison's ms/pair covers them).
/// </summary>
[Config(typeof(ShortRunConfig))]
public class GeneratorEngineBenchmarks
{
    private FaceAnalysisModels _models = null!;
    private List<PreparedPhoto> _photos = null!;
    private WarpedReference _warped = null!;
    private GeneratorMakeupEngine _engine = null!;

    /// <summary>0: without the layer; the other, the engine's default share of the side.</summary>
    [Params(0.0, GeneratorMakeupEngine.DefaultFoundationSigma)]
    public double FoundationSigma { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new ModelOptions();
        _models = FaceAnalysisFactory.CreateAll(options);
        var pipeline = MakeupPipeline.Create(_models.Analyzer, [new ClassicalMakeupEngine()]);
        var data = SharedData.Locate();
        var notFound = new List<string>();
        // The pair on which the network carried the most lipstick past the lip line (README, "The generator's skin as one layer").
        _photos = PairEvaluation.Prepare(pipeline, _models.Analyzer,
            [Path.Combine(data, "makeup", "images", "non-makeup", "xfsy_0521.png"), Path.Combine(data, "makeup", "images", "makeup", "10050.png")], notFound);
        if (notFound.Count > 0) throw new InvalidOperationException("No face found in " + string.Join(", ", notFound));
        _warped = new TriangulationWarp(_models.Mapping.MirrorIndex).Warp(_photos[0].Aligned, _photos[1].Aligned);
        _engine = new GeneratorMakeupEngine(new OnnxModel(GeneratorMakeupEngine.ModelName, options.Resolve(options.Generator), options),
            foundationSigma: FoundationSigma);
        Transfer(); // warm: ONNX Runtime prepares its graph on the first run
    }

    [Benchmark]
    public int Transfer()
    {
        using var crop = _engine.Transfer(_photos[0].Aligned, _warped, RegionStrengths.All);
        return crop.Rows;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.Dispose();
        _warped.Dispose();
        foreach (var p in _photos) p.Dispose();
        _models.Dispose();
    }
}
