using MakeupApi.Transfer.Classical;
using OpenCvSharp;

namespace MakeupApi.Transfer;

/// <summary>
/// A per-pixel weight map (CV_32FC1, 0..1) saying how much of an engine's change each pixel takes: the makeup regions
/// (<see cref="FaceRegions"/>: lips, eye-shadow band, brows, skin), each scaled by its requested strength and feathered,
/// and nothing on the pixels no makeup touches (<see cref="FaceRegions.Protect"/>: eyeballs, the mouth's interior,
/// glasses), as in the classical engine: the feathered edge of a lip or of the eye band would otherwise carry the
/// engine's change onto the teeth and the eyeballs next to it.
/// </summary>
public static class RegionWeights
{
    public static Mat Build(Mat labels, IReadOnlyList<Point2f> ibug68, RegionStrengths strengths)
    {
        using var regions = FaceRegions.Build(labels, ibug68);
        return Build(regions, strengths);
    }

    /// <summary>The same from regions the caller has already built (and still owns).</summary>
    internal static Mat Build(FaceRegions regions, RegionStrengths strengths)
    {
        var size = regions.Skin.Size();
        // Feathering width ~1% of the crop: wide enough to hide the mask edge, narrow enough not to tint the neighbours.
        double sigma = Math.Max(1.0, size.Width / 100.0);
        var weight = new Mat(size, MatType.CV_32FC1, Scalar.All(0));
        Accumulate(weight, regions.Skin, strengths.Skin, sigma);
        Accumulate(weight, regions.EyeBand, strengths.Eyes, sigma);
        Accumulate(weight, regions.Brows, strengths.Brows, sigma);
        Accumulate(weight, regions.Lips, strengths.Lips, sigma);
        weight.SetTo(Scalar.All(0), regions.Protect);
        return weight;
    }

    private static void Accumulate(Mat weight, Mat mask, float strength, double sigma)
    {
        if (strength <= 0) return;
        using var soft = new Mat();
        mask.ConvertTo(soft, MatType.CV_32FC1, strength / 255.0);
        // Feather outward: the blurred edge is kept only where it adds weight, so a thin region (a lip) keeps its full
        // strength inside and fades only beyond its border.
        using var blurred = new Mat();
        Cv2.GaussianBlur(soft, blurred, new Size(0, 0), sigma);
        Cv2.Max(soft, blurred, soft);
        Cv2.Max(weight, soft, weight);
    }
}
