using OpenCvSharp;

namespace MakeupApi.Transfer;

/// <summary>Per-pixel blends of float BGR images by a weight map, shared by the generator engine's steps.</summary>
internal static class WeightedBlend
{
    /// <summary>
    /// from + weight * (to - from), per pixel, scaled by <paramref name="scale"/> into CV_8UC3 (rounded, saturated).
    /// <paramref name="from"/> and <paramref name="to"/> are CV_32FC3 of one size, <paramref name="weight"/> CV_32FC1.
    /// Where the weight is 0 the result is <paramref name="from"/>'s own value, so pixels no change reaches keep their
    /// bytes when <paramref name="from"/> came from bytes.
    /// </summary>
    public static Mat ToBytes(Mat from, Mat to, Mat weight, double scale = 1.0)
    {
        using var change = new Mat();
        Cv2.Subtract(to, from, change);
        using var weight3 = new Mat();
        Cv2.Merge([weight, weight, weight], weight3);
        using var weighted = change.Mul(weight3).ToMat();
        using var sum = new Mat();
        Cv2.Add(from, weighted, sum);
        var result = new Mat();
        sum.ConvertTo(result, MatType.CV_8UC3, scale);
        return result;
    }
}
