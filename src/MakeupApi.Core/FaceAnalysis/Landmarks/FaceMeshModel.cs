using MakeupApi.Onnx;
using OpenCvSharp;

namespace MakeupApi.FaceAnalysis.Landmarks;

/// <summary>The 468 mesh points of one face in photo pixels, with the model's face-presence probability.</summary>
public sealed record MeshResult(Point3f[] Points, float Presence);

/// <summary>
/// Owner of MediaPipe Face Mesh, facemesh.onnx (Kartynnik et al., "Real-time Facial Surface Geometry from Monocular
/// Video on Mobile GPUs", 2019): 468 3D points from a rotation-corrected 192x192 face crop.
/// </summary>
public sealed class FaceMeshModel : IDisposable
{
    public const int InputSize = 192;
    public const int PointCount = 468;

    // MediaPipe's region-of-interest rules (face_detection_front_detection_to_roi.pbtxt and
    // face_landmark_landmarks_to_roi.pbtxt): the square crop is 1.5x the face box, rotated so the eyes are level.
    private const float RoiScale = 1.5f;

    // Mesh vertices of the outer eye corners, which MediaPipe uses to level the second-pass crop.
    private const int RightEyeOuterCorner = 33, LeftEyeOuterCorner = 263;

    private readonly OnnxModel _model;

    public FaceMeshModel(OnnxModel model)
    {
        _model = model;
        model.RequireInput("input_1", -1, InputSize, InputSize, 3);
        model.RequireOutput("output_mesh", -1, PointCount * 3);
        model.RequireOutput("output_faceflag", -1, 1);
    }

    public ModelInfo Info => _model.Info;

    /// <summary>
    /// Runs the mesh on the crop the detector suggests and, for each further pass, on the crop the previous mesh suggests
    /// (as MediaPipe does between video frames): that crop is centred and levelled on the face itself, which lowers the
    /// landmark error on HELEN a little (DetectorOptions.MeshPasses has the figures).
    /// </summary>
    public MeshResult Run(Mat bgr, DetectedFace face, int passes)
    {
        var roi = RoiFromDetection(face);
        MeshResult result = RunOnRoi(bgr, roi);
        for (int pass = 1; pass < passes; pass++)
            result = RunOnRoi(bgr, RoiFromMesh(result.Points));
        return result;
    }

    public MeshResult RunOnRoi(Mat bgr, RotatedRoi roi)
    {
        using var toCrop = roi.ToCropTransform(InputSize);
        using var crop = new Mat();
        Cv2.WarpAffine(bgr, crop, toCrop, new Size(InputSize, InputSize), InterpolationFlags.Linear, BorderTypes.Replicate);

        using var input = new TensorBuffer(1, InputSize, InputSize, 3);
        ImageTensor.FillRgb(crop, input.Span, 1 / 255f, 0f); // [0, 1], manifest "normalisation"
        using var outputs = _model.Run(["input_1"], [input.Value], ["output_mesh", "output_faceflag"]);
        var mesh = outputs[0].GetTensorDataAsSpan<float>();
        float presence = outputs[1].GetTensorDataAsSpan<float>()[0];

        // Crop pixels back to photo pixels through the inverse of the crop transform; z is scaled like x and y.
        using var toImage = new Mat();
        Cv2.InvertAffineTransform(toCrop, toImage);
        var m = new double[6];
        toImage.GetArray(out double[] values);
        values.CopyTo(m, 0);
        float zScale = roi.Size / InputSize;
        var points = new Point3f[PointCount];
        for (int i = 0; i < PointCount; i++)
        {
            float x = mesh[3 * i], y = mesh[3 * i + 1];
            points[i] = new Point3f((float)(m[0] * x + m[1] * y + m[2]), (float)(m[3] * x + m[4] * y + m[5]), mesh[3 * i + 2] * zScale);
        }
        return new MeshResult(points, presence);
    }

    public static RotatedRoi RoiFromDetection(DetectedFace face)
    {
        float angle = LevelAngle(face.RightEye, face.LeftEye);
        var centre = new Point2f(face.Box.X + face.Box.Width / 2, face.Box.Y + face.Box.Height / 2);
        return new RotatedRoi(centre, Math.Max(face.Box.Width, face.Box.Height) * RoiScale, angle);
    }

    public static RotatedRoi RoiFromMesh(IReadOnlyList<Point3f> mesh)
    {
        var a = mesh[RightEyeOuterCorner];
        var b = mesh[LeftEyeOuterCorner];
        float angle = LevelAngle(new Point2f(a.X, a.Y), new Point2f(b.X, b.Y));
        // Bounding box of the mesh in the levelled frame, then back to photo coordinates.
        float cos = MathF.Cos(-angle), sin = MathF.Sin(-angle);
        float minX = float.MaxValue, minY = float.MaxValue, maxX = float.MinValue, maxY = float.MinValue;
        foreach (var p in mesh)
        {
            float x = p.X * cos - p.Y * sin, y = p.X * sin + p.Y * cos;
            minX = Math.Min(minX, x); maxX = Math.Max(maxX, x);
            minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
        }
        float cx = (minX + maxX) / 2, cy = (minY + maxY) / 2;
        var centre = new Point2f(cx * MathF.Cos(angle) - cy * MathF.Sin(angle), cx * MathF.Sin(angle) + cy * MathF.Cos(angle));
        return new RotatedRoi(centre, Math.Max(maxX - minX, maxY - minY) * RoiScale, angle);
    }

    /// <summary>The in-plane angle (radians) of the line from the subject's right eye to the left eye.</summary>
    public static float LevelAngle(Point2f rightEye, Point2f leftEye) =>
        MathF.Atan2(leftEye.Y - rightEye.Y, leftEye.X - rightEye.X);

    public void Dispose() => _model.Dispose();
}

/// <summary>A square region of the photo, rotated by <see cref="Angle"/> (radians, image y down) about its centre.</summary>
public readonly record struct RotatedRoi(Point2f Centre, float Size, float Angle)
{
    /// <summary>2x3 affine (CV_64F) taking photo pixels to an upright output square of <paramref name="outputSize"/> pixels.</summary>
    public Mat ToCropTransform(int outputSize)
    {
        double s = outputSize / (double)Size;
        double cos = Math.Cos(-Angle) * s, sin = Math.Sin(-Angle) * s;
        // p' = s * R(-angle) * (p - centre) + outputSize / 2
        double tx = outputSize / 2.0 - (cos * Centre.X - sin * Centre.Y);
        double ty = outputSize / 2.0 - (sin * Centre.X + cos * Centre.Y);
        return Mat.FromPixelData(2, 3, MatType.CV_64FC1, new[] { cos, -sin, tx, sin, cos, ty });
    }
}
