using OpenCvSharp;

namespace MakeupApi.Alignment;

/// <summary>
/// A face rotated upright and cropped to a square working size, with everything needed to go back:
/// <see cref="ToCrop"/> maps image pixels to crop pixels (2x3, CV_64F). Owns its Mats.
/// </summary>
public sealed class AlignedFace : IDisposable
{
    public required Mat Image { get; init; }          // CV_8UC3 BGR, Size x Size
    public required Mat Labels { get; init; }         // CV_8UC1, CelebAMask-HQ classes (FaceLabel)
    public required Mat ToCrop { get; init; }         // 2x3 CV_64F affine, image -> crop
    public required Point2f[] Mesh { get; init; }     // 468 mesh points in crop pixels
    public required float[] MeshDepth { get; init; }  // mesh z in crop pixel scale (smaller = nearer the camera)
    public required Point2f[] Ibug68 { get; init; }   // 68 iBUG points in crop pixels

    public int Size => Image.Width;

    public void Dispose()
    {
        Image.Dispose();
        Labels.Dispose();
        ToCrop.Dispose();
    }
}
