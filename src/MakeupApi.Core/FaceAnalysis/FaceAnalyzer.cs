using MakeupApi.FaceAnalysis.Detection;
using MakeupApi.FaceAnalysis.Landmarks;
using OpenCvSharp;

namespace MakeupApi.FaceAnalysis;

/// <summary>
/// Finds every face in a photo with its mesh and 68 landmarks: detector, then the mesh per face, then (when an iris model
/// is given) the iris model's eyelid lines in place of the mesh's, which lowers the eye landmark error (see IrisResult).
/// </summary>
public sealed class FaceAnalyzer(BlazeFaceDetector detector, FaceMeshModel mesh, LandmarkMapping mapping, DetectorOptions options,
    IrisModel? iris = null)
{
    public LandmarkMapping Mapping => mapping;
    public FaceMeshModel MeshModel => mesh;
    public DetectorOptions Options => options;
    public IrisModel? Iris => iris;

    /// <summary>Faces largest first; detections the mesh does not confirm as a face (presence below the minimum) are dropped.</summary>
    public IReadOnlyList<FaceLandmarks> FindFaces(Mat bgr, CancellationToken cancellationToken = default)
    {
        var detections = detector.Detect(bgr);
        var faces = new List<FaceLandmarks>(detections.Count);
        foreach (var detection in detections)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = mesh.Run(bgr, detection, options.MeshPasses);
            if (result.Presence < options.MinPresence) continue;
            if (faces.Any(f => SameFace(f.Mesh, result.Points))) continue;
            var points = iris is null ? result.Points : iris.Run(bgr, result.Points).RefineEyelids(result.Points);
            faces.Add(new FaceLandmarks(detection, points, mapping.ToIbug68(points), result.Presence));
        }
        return faces;
    }

    /// <summary>
    /// The detector can report a second, offset box on one face (seen on 2 of 390 FASSEG photos: a profile and a very
    /// large face), which the mesh then confirms. Two meshes whose eye corners lie within a third of the eye distance
    /// of each other are the same face; the larger detection, found first, is kept.
    /// </summary>
    private static bool SameFace(IReadOnlyList<OpenCvSharp.Point3f> a, IReadOnlyList<OpenCvSharp.Point3f> b)
    {
        const int right = 33, left = 263;
        static double D(OpenCvSharp.Point3f p, OpenCvSharp.Point3f q) => Math.Sqrt((p.X - q.X) * (p.X - q.X) + (p.Y - q.Y) * (p.Y - q.Y));
        double eyes = D(a[right], a[left]);
        return D(a[right], b[right]) < eyes / 3 && D(a[left], b[left]) < eyes / 3;
    }
}
