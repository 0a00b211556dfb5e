using MakeupApi.FaceAnalysis.Detection;
using MakeupApi.FaceAnalysis.Landmarks;
using MakeupApi.Onnx;
using MakeupApi.Transfer;

namespace MakeupApi.Pipeline;

/// <summary>Lists every loaded model, for GET /models.</summary>
internal sealed class ModelCatalog(BlazeFaceDetector detector, FaceMeshModel mesh, FaceAnalysis.FaceAnalyzer analyzer,
    IEnumerable<IMakeupEngine> engines) : IModelCatalog
{
    public IReadOnlyList<ModelInfo> Models { get; } =
    [
        detector.Info, mesh.Info,
        .. analyzer.Iris is { } iris ? [iris.Info] : Array.Empty<ModelInfo>(),
        .. engines.OfType<IModelBackedEngine>().Select(e => e.Info),
    ];
}
