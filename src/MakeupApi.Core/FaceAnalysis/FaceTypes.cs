using OpenCvSharp;

namespace MakeupApi.FaceAnalysis;

/// <summary>
/// One face found by the detector, in image pixels. Keypoints follow BlazeFace's order:
/// 0 right eye, 1 left eye, 2 nose tip, 3 mouth centre, 4 right ear tragion, 5 left ear tragion
/// ("right"/"left" are the subject's, i.e. keypoint 0 is on the image's left for a frontal face).
/// </summary>
public sealed record DetectedFace(Rect2f Box, Point2f[] Keypoints, float Score)
{
    public Point2f RightEye => Keypoints[0];
    public Point2f LeftEye => Keypoints[1];
}

/// <summary>
/// A face with its dense landmarks, in image pixels: the 468-point MediaPipe mesh (x, y and a relative depth z in
/// the same pixel scale), optionally refined eye/iris points, and the 68-point iBUG/300-W view derived from the mesh.
/// </summary>
public sealed record FaceLandmarks(DetectedFace Detection, Point3f[] Mesh, Point2f[] Ibug68, float Presence)
{
    /// <summary>Distance between the outer eye corners (iBUG points 36 and 45), the usual landmark normaliser.</summary>
    public double OuterEyeDistance => Ibug68[36].DistanceTo(Ibug68[45]);
}
