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
}
