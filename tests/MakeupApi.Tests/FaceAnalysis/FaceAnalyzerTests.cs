using MakeupApi.FaceAnalysis.Landmarks;
using MakeupApi.Onnx;
using MakeupApi.Tests.Support;
using OpenCvSharp;

namespace MakeupApi.Tests.FaceAnalysis;

[Collection(ModelCollection.Name)]
public sealed class FaceAnalyzerTests(ModelFixture models)
{
    [Fact]
    public void Analyzer_gives_the_configured_mesh_passes_with_iris_eyelids_mapped_to_68_points()
    {
        // The HELEN tests measure this chain stage by stage; here it is pinned to what FindFaces returns.
        using var photo = TestPhotos.Read(TestPhotos.Helen("100032540_1"));
        var face = Assert.Single(models.Analyzer.FindFaces(photo));

        var mesh = models.Mesh.Run(photo, models.Detector.Detect(photo)[0], models.Options.MeshPasses);
        var refined = models.Iris.Run(photo, mesh.Points).RefineEyelids(mesh.Points);
        Assert.Equal(refined, face.Mesh);
        Assert.Equal(models.Mapping.ToIbug68(refined), face.Ibug68);
        Assert.Equal(mesh.Presence, face.Presence);
    }

    [Fact]
    public void Iris_eyelids_of_both_eyes_lie_on_the_mesh_eyelids()
    {
        // Each eye's 16 lid points from the iris model land within a few percent of the eye distance of the mesh's own:
        // a wrong crop, mirror or index table would put the left eye (the mirrored one) far off.
        using var photo = TestPhotos.Read(TestPhotos.MakeupSet("makeup")[0]);
        var mesh = models.Mesh.Run(photo, models.Detector.Detect(photo)[0], models.Options.MeshPasses).Points;
        var iris = models.Iris.Run(photo, mesh);
        double eyeDistance = Distance(mesh[33], mesh[263]);
        foreach (var (indices, contour) in new[] { (IrisModel.RightEyeMeshIndices, iris.RightEyeContour), (IrisModel.LeftEyeMeshIndices, iris.LeftEyeContour) })
        {
            double mean = Enumerable.Range(0, IrisModel.EyelidCount).Average(k => Distance(mesh[indices[k]], contour[k])) / eyeDistance;
            Assert.True(mean < 0.03, $"eyelid points {mean:P1} of the eye distance away from the mesh's");
        }
        // The iris centres sit inside their eyes.
        Assert.True(Distance(iris.RightIris[0], Mid(mesh[33], mesh[133])) < 0.1 * eyeDistance);
        Assert.True(Distance(iris.LeftIris[0], Mid(mesh[362], mesh[263])) < 0.1 * eyeDistance);
    }

    [Fact]
    public void Iris_model_refuses_an_onnx_file_with_other_tensors()
    {
        // Owners check their model's tensors up front, so a misconfigured file name fails at start-up, not per request.
        using var wrong = new OnnxModel("iris", models.Models.Resolve(models.Models.FaceMesh), models.Models);
        var error = Assert.Throws<InvalidDataException>(() => new IrisModel(wrong));
        Assert.Contains("facemesh.onnx", error.Message);
        Assert.Contains("expected [-1,64,64,3]", error.Message);
    }

    private static double Distance(Point3f a, Point3f b) => Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));
    private static double Distance(Point3f a, Point2f b) => Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));
    private static double Distance(Point2f a, Point2f b) => a.DistanceTo(b);
    private static Point2f Mid(Point3f a, Point3f b) => new((a.X + b.X) / 2, (a.Y + b.Y) / 2);
}
