using MakeupApi.FaceAnalysis.Detection;
using MakeupApi.FaceAnalysis.Landmarks;
using MakeupApi.Onnx;

namespace MakeupApi.FaceAnalysis;

/// <summary>Opens the face-analysis models outside dependency injection (command-line tools, benchmarks, tests).</summary>
public static class FaceAnalysisFactory
{
    public static BlazeFaceDetector CreateDetector(ModelOptions models, DetectorOptions options) =>
        new(new OnnxModel("blazeface-back", models.Resolve(models.Detector), models), options);

    public static FaceMeshModel CreateMesh(ModelOptions models) =>
        new(new OnnxModel("facemesh", models.Resolve(models.FaceMesh), models));

    public static IrisModel CreateIris(ModelOptions models) =>
        new(new OnnxModel("iris", models.Resolve(models.Iris), models));

    /// <summary>Every face-analysis model with the service's default options, as one disposable set.</summary>
    public static FaceAnalysisModels CreateAll(ModelOptions? models = null, DetectorOptions? options = null) =>
        new(models ?? new ModelOptions(), options ?? new DetectorOptions());
}

/// <summary>The detector, mesh and iris models and the analyzer over them, owned together (tools, tests, benchmarks).</summary>
public sealed class FaceAnalysisModels : IDisposable
{
    public BlazeFaceDetector Detector { get; }
    public FaceMeshModel Mesh { get; }
    public IrisModel? Iris { get; }
    public LandmarkMapping Mapping { get; } = LandmarkMapping.LoadEmbedded();
    public FaceAnalyzer Analyzer { get; }

    internal FaceAnalysisModels(ModelOptions models, DetectorOptions options)
    {
        Detector = FaceAnalysisFactory.CreateDetector(models, options);
        Mesh = FaceAnalysisFactory.CreateMesh(models);
        Iris = options.UseIris ? FaceAnalysisFactory.CreateIris(models) : null;
        Analyzer = new FaceAnalyzer(Detector, Mesh, Mapping, options, Iris);
    }

    public void Dispose()
    {
        Detector.Dispose();
        Mesh.Dispose();
        Iris?.Dispose();
    }
}
