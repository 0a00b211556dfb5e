using OpenCvSharp;

namespace MakeupApi.Transfer.Classical;

/// <summary>
/// Closes the gap between the mean colour a region was meant to get and the one it got. The engine's change is
/// computed on a smooth base layer in CIELAB and added to the source's own pixels as a BGR difference; the source's
/// detail then rides on a different point of the curved Lab→sRGB map, and dark or saturated pixels clip at 0 or 255.
/// On a strong lipstick or a dark lid these lose several CIEDE2000 units of the intended colour (measured on the
/// shared makeup set: a deep red ending up 5 L* too light). This step measures the region's mean colour on the
/// result, exactly as a viewer averages it (per-pixel CIELAB), and adds the residual as a uniform Lab offset over the
/// region's feather, a couple of times, since clipping makes one step fall short. Pixels the feather does not reach
/// keep their bytes.
/// </summary>
internal static class RegionMeanCorrection
{
    /// <summary>Residuals below this (CIELAB units, well under one just-noticeable difference) are left alone.</summary>
    private const double Negligible = 0.25;

    /// <param name="result">The part of the engine's output crop (CV_8UC3) the feather reaches, corrected in place.</param>
    /// <param name="region">The source's region mask (0/255) over the same part, the pixels the mean is measured on.</param>
    /// <param name="weight">The region's feather over the same part (CV_32FC1; 0 where nothing may change).</param>
    /// <param name="target">The mean CIELAB colour the region should have.</param>
    /// <param name="maxStep">Largest correction, in CIELAB units: the step fixes rendering losses, not the transfer itself.</param>
    /// <param name="iterations">Measure-and-correct rounds.</param>
    /// <returns>The residual measured before the last step, in CIELAB units (Euclidean).</returns>
    public static double Apply(Mat result, Mat region, Mat weight, Vec3d target, double maxStep, int iterations = 2)
    {
        if (Cv2.CountNonZero(region) == 0) return 0;
        using var moving = new Mat();
        Cv2.Compare(weight, 0, moving, CmpTypes.GT);
        using var weight3 = new Mat();
        Cv2.Merge([weight, weight, weight], weight3);
        double residual = 0;
        double budget = maxStep;
        for (int i = 0; i < iterations; i++)
        {
            using var lab = Ciede2000.ToLab(result);
            var mean = Cv2.Mean(lab, region);
            var r = new Vec3d(target.Item0 - mean.Val0, target.Item1 - mean.Val1, target.Item2 - mean.Val2);
            residual = Norm(r);
            if (residual < Negligible || budget <= 0) break;
            if (residual > budget) r = Scale(r, budget / residual);
            budget -= Norm(r);

            // lab += r · weight, then back to 8-bit BGR on the pixels the feather reaches.
            using var offset = new Mat();
            Cv2.Multiply(weight3, new Scalar(r.Item0, r.Item1, r.Item2), offset);
            Cv2.Add(lab, offset, lab);
            using var bgr = new Mat();
            Cv2.CvtColor(lab, bgr, ColorConversionCodes.Lab2BGR);
            using var bytes = new Mat();
            bgr.ConvertTo(bytes, MatType.CV_8UC3, 255);
            bytes.CopyTo(result, moving);
        }
        return residual;
    }

    private static double Norm(Vec3d v) => Math.Sqrt(v.Item0 * v.Item0 + v.Item1 * v.Item1 + v.Item2 * v.Item2);

    private static Vec3d Scale(Vec3d v, double k) => new(v.Item0 * k, v.Item1 * k, v.Item2 * k);
}
