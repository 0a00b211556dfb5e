using MakeupApi.FaceAnalysis;
using MakeupApi.FaceAnalysis.Landmarks;
using OpenCvSharp;

namespace MakeupApi.Alignment;

/// <summary>
/// Rotates a face upright (eye line level) and crops it to a square working size around the mesh, keeping the
/// image-to-crop transform so the result can be pasted back exactly.
/// </summary>
public static class FaceAligner
{
    /// <summary>
    /// Crop side relative to the mesh's extent. The mesh stops at the upper forehead; 1.6x leaves room for the forehead,
    /// chin and a feathered border, as PSGAN/BeautyGAN's training crops do (MT dataset faces fill about 60% of the frame).
    /// </summary>
    public const float CropScale = 1.6f;

    public static RotatedRoi CropRegion(FaceLandmarks face)
    {
        var roi = FaceMeshModel.RoiFromMesh(face.Mesh); // levelled on the eye corners, centred on the mesh, 1.5x its extent
        return roi with { Size = roi.Size / 1.5f * CropScale };
    }

    /// <summary>Crops the face and moves its landmarks into crop pixels. Labels are filled by the caller (parser).</summary>
    public static (Mat Crop, Mat ToCrop, Point2f[] Mesh, float[] Depth, Point2f[] Ibug68) Crop(Mat bgr, FaceLandmarks face, int size)
    {
        var roi = CropRegion(face);
        var toCrop = roi.ToCropTransform(size);
        var crop = new Mat();
        Cv2.WarpAffine(bgr, crop, toCrop, new Size(size, size), InterpolationFlags.Linear, BorderTypes.Replicate);

        toCrop.GetArray(out double[] m);
        double scale = size / (double)roi.Size;
        var mesh = new Point2f[face.Mesh.Length];
        var depth = new float[face.Mesh.Length];
        for (int i = 0; i < mesh.Length; i++)
        {
            var p = face.Mesh[i];
            mesh[i] = Apply(m, p.X, p.Y);
            depth[i] = (float)(p.Z * scale);
        }
        var ibug = face.Ibug68.Select(p => Apply(m, p.X, p.Y)).ToArray();
        return (crop, toCrop, mesh, depth, ibug);
    }

    /// <summary>Image points moved into the crop by its image-to-crop transform (the ToCrop that <see cref="Crop"/> returns).</summary>
    public static Point2f[] MapPoints(Mat toCrop, IEnumerable<Point2f> points)
    {
        toCrop.GetArray(out double[] m);
        return [.. points.Select(p => Apply(m, p.X, p.Y))];
    }

    private static Point2f Apply(double[] m, float x, float y) =>
        new((float)(m[0] * x + m[1] * y + m[2]), (float)(m[3] * x + m[4] * y + m[5]));
}
