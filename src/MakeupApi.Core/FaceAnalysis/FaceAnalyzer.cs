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

    /// <summary>Faces largest first; detections the mesh does not confirm as a face (presence below the minimum) are dropped.</summary>
    public IReadOnlyList<FaceLandmarks> FindFaces(Mat bgr, CancellationToken cancellationToken = default)
    {
        var detections = detector.Detect(bgr);
        var faces = new List<FaceLandmarks>(detections.Count);
        foreach (var detection in detections)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = mesh.Run(bgr, detection);
            if (result.Presence < options.MinPresence) continue;
            var points = iris is null ? result.Points : iris.Run(bgr, result.Points).RefineEyelids(result.Points);
            faces.Add(new FaceLandmarks(detection, points, mapping.ToIbug68(points), result.Presence));
        }
        return faces;
    }
}
