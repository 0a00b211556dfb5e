using BenchmarkDotNet.Attributes;
using MakeupApi.Evaluation;
using MakeupApi.FaceAnalysis;
using MakeupApi.FaceAnalysis.Detection;
using MakeupApi.FaceAnalysis.Landmarks;
using MakeupApi.Onnx;
using OpenCvSharp;

namespace MakeupApi.Benchmarks;

/// <summary>
/// Face analysis per face on real single-face photos, with the service's defaults (one ONNX Runtime thread per call,
/// DetectorOptions.MeshPasses mesh passes): detector + mesh (target: median at most 20 ms per face on the 2-core
/// development machine), the same with the optional second mesh pass, the detector alone, the mesh alone (1 and 2
/// passes), the iris model alone, and the whole FaceAnalyzer.FindFaces as the service runs it (detector, mesh, iris
/// eyelids, 68-point mapping).
/// </summary>
[Config(typeof(ShortRunConfig))]
public class FaceAnalysisBenchmarks
{
    private BlazeFaceDetector _detector = null!;
    private FaceMeshModel _mesh = null!;
    private IrisModel _iris = null!;
    private FaceAnalyzer _analyzer = null!;
    private readonly DetectorOptions _options = new();
    private Mat _photo = null!;
    private DetectedFace _face = null!;
    private Point3f[] _meshPoints = null!;

    /// <summary>"makeup-1024": a shared makeup photo (about 350 px) upscaled to 1024x1024; "helen-800": an 800x753 HELEN photo.</summary>
    [Params("makeup-1024", "helen-800")]
    public string Photo { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var models = new ModelOptions();
        _detector = FaceAnalysisFactory.CreateDetector(models, _options);
        _mesh = FaceAnalysisFactory.CreateMesh(models);
        _iris = new IrisModel(new OnnxModel("iris", models.Resolve(models.Iris), models));
        _analyzer = new FaceAnalyzer(_detector, _mesh, LandmarkMapping.LoadEmbedded(), _options, _iris);

        var data = SharedData.Locate();
        _photo = Photo switch
        {
            "makeup-1024" => Upscale(Path.Combine(data, "makeup", "images", "makeup", "00078.png"), 1024),
            "helen-800" => Cv2.ImRead(Path.Combine(data, "landmarks", "helen-train", "100032540_1.jpg")),
            _ => throw new ArgumentException(Photo),
        };
        if (_photo.Empty()) throw new FileNotFoundException($"Benchmark photo {Photo} not found under {data}.");
        var faces = _detector.Detect(_photo);
        if (faces.Count != 1) throw new InvalidOperationException($"{Photo}: expected one face, found {faces.Count}.");
        _face = faces[0];
        _meshPoints = _mesh.Run(_photo, _face, _options.MeshPasses).Points;
    }

    private static Mat Upscale(string path, int side)
    {
        using var image = Cv2.ImRead(path);
        return image.Resize(new Size(side, side), 0, 0, InterpolationFlags.Cubic);
    }

    [Benchmark(Description = "detector + mesh (service: MeshPasses)", Baseline = true)]
    public MeshResult DetectorAndMesh() => _mesh.Run(_photo, _detector.Detect(_photo)[0], _options.MeshPasses);

    [Benchmark(Description = "detector + mesh (2 passes)")]
    public MeshResult DetectorAndTwoPassMesh() => _mesh.Run(_photo, _detector.Detect(_photo)[0], passes: 2);

    [Benchmark(Description = "detector")]
    public IReadOnlyList<DetectedFace> Detector() => _detector.Detect(_photo);

    [Benchmark(Description = "mesh, 2 passes")]
    public MeshResult MeshTwoPasses() => _mesh.Run(_photo, _face, passes: 2);

    [Benchmark(Description = "mesh, 1 pass")]
    public MeshResult MeshOnePass() => _mesh.Run(_photo, _face, passes: 1);

    [Benchmark(Description = "iris (both eyes)")]
    public IrisResult Iris() => _iris.Run(_photo, _meshPoints);

    [Benchmark(Description = "FindFaces (all stages)")]
    public IReadOnlyList<FaceLandmarks> FindFaces() => _analyzer.FindFaces(_photo);

    [GlobalCleanup]
    public void Cleanup()
    {
        _photo.Dispose();
        _detector.Dispose();
        _mesh.Dispose();
        _iris.Dispose();
    }
}
