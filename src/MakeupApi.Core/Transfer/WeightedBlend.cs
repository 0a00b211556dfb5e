using OpenCvSharp;

namespace MakeupApi.Transfer;

/// <summary>
/// Per-pixel blends of float BGR images by a weight map, and such weight maps, shared by the generator engine's steps.
/// </summary>
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

    /// <summary>
    /// A 0/255 mask (CV_8UC1) as a weight map (CV_32FC1, 0..1) feathered outward only: the Gaussian-blurred edge is kept
    /// where it adds weight, so the mask keeps its full weight inside and fades beyond its border.
    /// </summary>
    public static Mat FeatherOutward(Mat mask, double sigma)
    {
        var weight = new Mat();
        mask.ConvertTo(weight, MatType.CV_32FC1, 1 / 255.0);
        using var blurred = new Mat();
        Cv2.GaussianBlur(weight, blurred, new Size(0, 0), sigma);
        Cv2.Max(weight, blurred, weight);
        return weight;
    }
}
