using MakeupApi.FaceAnalysis;
using MakeupApi.FaceAnalysis.Detection;
using MakeupApi.FaceAnalysis.Landmarks;
using MakeupApi.Onnx;

namespace MakeupApi.Tests.Support;

/// <summary>
/// The face-analysis models, opened once for every test class in the <see cref="ModelCollection"/> (opening an ONNX
/// session takes longer than most tests). Options are the shipped defaults. Sessions are thread-safe, so a test may
/// run them in parallel; the classes of one collection run one after another.
/// </summary>
public sealed class ModelFixture : IDisposable
{
    public ModelOptions Models { get; } = new();
    public DetectorOptions Options { get; } = new();
    public BlazeFaceDetector Detector { get; }
    public FaceMeshModel Mesh { get; }
    public IrisModel Iris { get; }
    public LandmarkMapping Mapping { get; } = LandmarkMapping.LoadEmbedded();
    public FaceAnalyzer Analyzer { get; }

    public ModelFixture()
    {
        Detector = FaceAnalysisFactory.CreateDetector(Models, Options);
        Mesh = FaceAnalysisFactory.CreateMesh(Models);
        Iris = new IrisModel(new OnnxModel("iris", Models.Resolve(Models.Iris), Models));
        Analyzer = new FaceAnalyzer(Detector, Mesh, Mapping, Options, Iris);
    }

    public void Dispose()
    {
        Detector.Dispose();
        Mesh.Dispose();
        Iris.Dispose();
    }
}

/// <summary>Put <c>[Collection(ModelCollection.Name)]</c> on a test class to receive the shared <see cref="ModelFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class ModelCollection : ICollectionFixture<ModelFixture>
{
    public const string Name = "Face analysis models";
}
