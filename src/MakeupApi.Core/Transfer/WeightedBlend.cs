using OpenCvSharp;

namespace MakeupApi.Transfer;

/// <summary>
/// Per-pixel blends of float BGR images by a weight map, and such weight maps, shared by the generator engine's steps.
/// </summary>
internal static class WeightedBlend
{
    /// <summary>
    /// from + weight * (to - from), per pixel, CV_32FC3. <paramref name="from"/> and <paramref name="to"/> are CV_32FC3
    /// of one size, <paramref name="weight"/> CV_32FC1.
    /// </summary>
    public static Mat Blend(Mat from, Mat to, Mat weight)
    {
        using var change = new Mat();
        Cv2.Subtract(to, from, change);
        using var weighted = Scaled(change, weight);
        var sum = new Mat();
        Cv2.Add(from, weighted, sum);
        return sum;
    }

    /// <summary>
    /// <see cref="Blend"/> scaled by <paramref name="scale"/> into CV_8UC3 (rounded, saturated). Where the weight is 0
    /// the result is <paramref name="from"/>'s own value, so pixels no change reaches keep their bytes when
    /// <paramref name="from"/> came from bytes.
    /// </summary>
    public static Mat ToBytes(Mat from, Mat to, Mat weight, double scale = 1.0)
    {
        using var sum = Blend(from, to, weight);
        var result = new Mat();
        sum.ConvertTo(result, MatType.CV_8UC3, scale);
        return result;
    }

    /// <summary>A CV_32FC3 image times a CV_32FC1 weight map, per pixel.</summary>
    public static Mat Scaled(Mat image, Mat weight)
    {
        using var weight3 = new Mat();
        Cv2.Merge([weight, weight, weight], weight3);
        return image.Mul(weight3).ToMat();
    }

    /// <summary>
    /// A 0/255 mask (CV_8UC1) as a weight map (CV_32FC1, 0..1) feathered outward only: the Gaussian-blurred edge is kept
    /// where it adds weight, so the mask keeps its full weight inside and fades beyond its border.
    /// </summary>
    public static Mat FeatherOutward(Mat mask, double sigma) => Feather(mask, sigma, outward: true);

    /// <summary>
    /// The same feathered inward only: the blurred edge is kept where it takes weight away, so nothing outside the mask
    /// gets any, and the weight fades to about half at the border from full deeper inside.
    /// </summary>
    public static Mat FeatherInward(Mat mask, double sigma) => Feather(mask, sigma, outward: false);

    private static Mat Feather(Mat mask, double sigma, bool outward)
    {
        var weight = new Mat();
        mask.ConvertTo(weight, MatType.CV_32FC1, 1 / 255.0);
        using var blurred = new Mat();
        Cv2.GaussianBlur(weight, blurred, new Size(0, 0), sigma);
        if (outward) Cv2.Max(weight, blurred, weight);
        else Cv2.Min(weight, blurred, weight);
        return weight;
    }
}
