using MakeupApi.Onnx;
using OpenCvSharp;

namespace MakeupApi.FaceAnalysis.Landmarks;

/// <summary>
/// The iris model's view of both eyes, in photo pixels: for each eye 71 refined eye-contour/brow points (already matched
/// to mesh vertices, see <see cref="IrisModel.RightEyeMeshIndices"/>) and 5 iris points (centre, then four boundary points).
/// "Right"/"left" are the subject's: the right eye is on the image's left for a frontal face.
/// </summary>
public sealed record IrisResult(Point2f[] RightEyeContour, Point2f[] RightIris, Point2f[] LeftEyeContour, Point2f[] LeftIris)
{
    /// <summary>
    /// A copy of <paramref name="mesh"/> with the 16 eyelid vertices of each eye (<see cref="IrisModel.EyelidCount"/>:
    /// the lower and upper lid lines, corners included) moved to the iris model's points; z is kept. Only the lids are
    /// replaced. Measured on HELEN's 870 faces with the shipped mapping: eye NME (iBUG 36-47) 2.46% -> 2.34%, inner-51
    /// 3.32% -> 3.29%; replacing all 71 points (halos and brows too) gave eye 2.33% but inner-51 3.53%, as the brow
    /// points moved. Held out with the mapping refitted, lids only: eye 2.47% -> 1.96%, inner-51 3.37% -> 3.25%
    /// (test HelenLandmarkTests.Iris_eyelids_lower_the_eye_nme_on_helen).
    /// </summary>
    public Point3f[] RefineEyelids(IReadOnlyList<Point3f> mesh)
    {
        var refined = mesh.ToArray();
        Replace(refined, IrisModel.RightEyeMeshIndices, RightEyeContour);
        Replace(refined, IrisModel.LeftEyeMeshIndices, LeftEyeContour);
        return refined;
    }

    private static void Replace(Point3f[] mesh, IReadOnlyList<int> indices, Point2f[] points)
    {
        for (int k = 0; k < IrisModel.EyelidCount; k++)
            mesh[indices[k]] = new Point3f(points[k].X, points[k].Y, mesh[indices[k]].Z);
    }
}

/// <summary>
/// Owner of MediaPipe Iris, iris.onnx (Ablavatski et al., "Real-time Pupil Tracking from Monocular Video for Digital
/// Puppetry", 2020): 71 eye-contour/brow points and 5 iris points from a 64x64 eye crop. Both eyes run as one batch of 2.
/// </summary>
public sealed class IrisModel : IDisposable
{
    public const int InputSize = 64;
    public const int ContourCount = 71;
    public const int IrisCount = 5;

    /// <summary>The first 16 contour outputs are the eye opening: lower lid with both corners, then upper lid.</summary>
    public const int EyelidCount = 16;
    private const string Input = "input_1", Output = "concatenate_eyes_contours_and_brows_and_iris";

    // MediaPipe iris_landmark_left_and_right: the eye ROI is the segment between the two eye-corner mesh vertices,
    // rotated level, enlarged 2.3x and squared (IrisLandmarkLandmarksToRoi: RectTransformationCalculator scale 2.3).
    private const float RoiScale = 2.3f;

    /// <summary>
    /// Mesh vertex of each of the 71 contour outputs, for the eye the model was trained on (the subject's right eye,
    /// corners 33/133). MediaPipe update_face_landmarks_calculator.cc / face_landmarker's refinement tables:
    /// lower lid, upper lid (no corners), halo x2, halo x3, brow inner contour, halo x5, brow outer contour.
    /// </summary>
    public static readonly int[] RightEyeMeshIndices =
    [
        33, 7, 163, 144, 145, 153, 154, 155, 133,
        246, 161, 160, 159, 158, 157, 173,
        130, 25, 110, 24, 23, 22, 26, 112, 243,
        247, 30, 29, 27, 28, 56, 190,
        226, 31, 228, 229, 230, 231, 232, 233, 244,
        113, 225, 224, 223, 222, 221, 189,
        35, 124, 46, 53, 52, 65,
        143, 111, 117, 118, 119, 120, 121, 128, 245,
        156, 70, 63, 105, 66, 107, 55, 193,
    ];

    /// <summary>The same table for the subject's left eye (corners 263/362), which is fed to the model mirrored.</summary>
    public static readonly int[] LeftEyeMeshIndices =
    [
        263, 249, 390, 373, 374, 380, 381, 382, 362,
        466, 388, 387, 386, 385, 384, 398,
        359, 255, 339, 254, 253, 252, 256, 341, 463,
        467, 260, 259, 257, 258, 286, 414,
        446, 261, 448, 449, 450, 451, 452, 453, 464,
        342, 445, 444, 443, 442, 441, 413,
        265, 353, 276, 283, 282, 295,
        372, 340, 346, 347, 348, 349, 350, 357, 465,
        383, 300, 293, 334, 296, 336, 285, 417,
    ];

    private readonly OnnxModel _model;

    public IrisModel(OnnxModel model)
    {
        _model = model;
        model.RequireInput(Input, -1, InputSize, InputSize, 3);
        model.RequireOutput(Output, -1, 1, 1, (ContourCount + IrisCount) * 3);
    }

    public ModelInfo Info => _model.Info;

    /// <summary>
    /// The two eye ROIs for a mesh, each from its image-left corner to its image-right corner (33 to 133, 362 to 263),
    /// so both are levelled the same way; the left eye's crop is then mirrored (see <see cref="CropEyes"/>).
    /// </summary>
    public static (RotatedRoi Right, RotatedRoi Left) EyeRois(IReadOnlyList<Point3f> mesh) =>
        (EyeRoi(mesh[33], mesh[133]), EyeRoi(mesh[362], mesh[263]));

    private static RotatedRoi EyeRoi(Point3f from, Point3f to)
    {
        var a = new Point2f(from.X, from.Y);
        var b = new Point2f(to.X, to.Y);
        var centre = new Point2f((a.X + b.X) / 2, (a.Y + b.Y) / 2);
        return new RotatedRoi(centre, (float)a.DistanceTo(b) * RoiScale, FaceMeshModel.LevelAngle(a, b));
    }

    /// <summary>
    /// The model's input: two 64x64 BGR crops, right eye as is and left eye mirrored, because the model only knows
    /// the right eye (MediaPipe IrisLandmarkCpu with is_right_eye flips the left one). Caller disposes both.
    /// </summary>
    public static (Mat Right, Mat Left) CropEyes(Mat bgr, IReadOnlyList<Point3f> mesh)
    {
        var (rightRoi, leftRoi) = EyeRois(mesh);
        var right = Crop(bgr, rightRoi);
        var left = Crop(bgr, leftRoi);
        Cv2.Flip(left, left, FlipMode.Y);
        return (right, left);
    }

    private static Mat Crop(Mat bgr, RotatedRoi roi)
    {
        using var toCrop = roi.ToCropTransform(InputSize);
        var crop = new Mat();
        Cv2.WarpAffine(bgr, crop, toCrop, new Size(InputSize, InputSize), InterpolationFlags.Linear, BorderTypes.Replicate);
        return crop;
    }

    /// <summary>Runs both eyes of one face (a 468-point mesh in photo pixels) as one batch.</summary>
    public IrisResult Run(Mat bgr, IReadOnlyList<Point3f> mesh)
    {
        var (rightRoi, leftRoi) = EyeRois(mesh);
        var (right, left) = CropEyes(bgr, mesh);
        using (right)
        using (left)
        {
            var raw = RunCrops(right, left);
            var (rc, ri) = ToPhoto(raw.AsSpan(0, Stride), rightRoi, mirrored: false);
            var (lc, li) = ToPhoto(raw.AsSpan(Stride, Stride), leftRoi, mirrored: true);
            return new IrisResult(rc, ri, lc, li);
        }
    }

    private const int Stride = (ContourCount + IrisCount) * 3;

    /// <summary>Raw model output for a batch of 64x64 BGR crops: 76 x (x, y, z) per crop, in crop pixels.</summary>
    public float[] RunCrops(params Mat[] crops)
    {
        if (crops.Length == 0 || crops.Any(c => c.Width != InputSize || c.Height != InputSize))
            throw new ArgumentException($"Expected one or more {InputSize}x{InputSize} crops.", nameof(crops));
        using var input = new TensorBuffer(crops.Length, InputSize, InputSize, 3);
        const int perCrop = InputSize * InputSize * 3;
        for (int i = 0; i < crops.Length; i++)
            ImageTensor.FillRgb(crops[i], input.Span.Slice(i * perCrop, perCrop), 1 / 255f, 0f); // [0, 1], manifest "normalisation"
        using var outputs = _model.Run([Input], [input.Value], [Output]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static (Point2f[] Contour, Point2f[] Iris) ToPhoto(ReadOnlySpan<float> raw, RotatedRoi roi, bool mirrored)
    {
        using var toCrop = roi.ToCropTransform(InputSize);
        using var toImage = new Mat();
        Cv2.InvertAffineTransform(toCrop, toImage);
        toImage.GetArray(out double[] m);
        var points = new Point2f[ContourCount + IrisCount];
        for (int i = 0; i < points.Length; i++)
        {
            // Same crop-pixel convention as FaceMeshModel (model x,y taken as OpenCV pixel coordinates of the crop; a
            // half-pixel shift, x - 0.5, measured no better on HELEN); a mirrored crop's column c is column 63 - c.
            double x = raw[3 * i], y = raw[3 * i + 1];
            if (mirrored) x = InputSize - 1 - x;
            points[i] = new Point2f((float)(m[0] * x + m[1] * y + m[2]), (float)(m[3] * x + m[4] * y + m[5]));
        }
        return (points[..ContourCount], points[ContourCount..]);
    }

    public void Dispose() => _model.Dispose();
}
