using MakeupApi.FaceAnalysis.Detection;
using MakeupApi.FaceAnalysis.Landmarks;
using OpenCvSharp;

namespace MakeupApi.FaceAnalysis;

/// <summary>Finds every face in a photo with its mesh and 68 landmarks: detector, then the mesh per face.</summary>
public sealed class FaceAnalyzer(BlazeFaceDetector detector, FaceMeshModel mesh, LandmarkMapping mapping, DetectorOptions options)
{
    public LandmarkMapping Mapping => mapping;
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
            faces.Add(new FaceLandmarks(detection, result.Points, mapping.ToIbug68(result.Points), result.Presence));
        }
        return faces;
    }
}
