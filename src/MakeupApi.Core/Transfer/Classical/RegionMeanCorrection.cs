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

    /// <param name="result">The engine's output crop (CV_8UC3), corrected in place.</param>
    /// <param name="region">The source's region mask (0/255) the mean is measured on.</param>
    /// <param name="weight">The region's feather (CV_32FC1, full crop size, 0 where nothing may change).</param>
    /// <param name="target">The mean CIELAB colour the region should have.</param>
    /// <param name="maxStep">Largest correction, in CIELAB units: the step fixes rendering losses, not the transfer itself.</param>
    /// <param name="iterations">Measure-and-correct rounds.</param>
    /// <returns>The residual measured before the last step, in CIELAB units (Euclidean).</returns>
    public static double Apply(Mat result, Mat region, Mat weight, Vec3d target, double maxStep, int iterations = 2)
    {
        Rect rect;
        using (var reached = NonZero(weight)) rect = Cv2.BoundingRect(reached);
        if (rect.Width == 0 || rect.Height == 0 || Cv2.CountNonZero(region) == 0) return 0;

        using var resultR = result[rect];
        using var regionR = region[rect];
        using var weightR = weight[rect];
        using var moving = new Mat();
        Cv2.Compare(weightR, 0, moving, CmpTypes.GT);
        double residual = 0;
        double budget = maxStep;
        for (int i = 0; i < iterations; i++)
        {
            using var lab = ToLab(resultR);
            var mean = Cv2.Mean(lab, regionR);
            var r = new Vec3d(target.Item0 - mean.Val0, target.Item1 - mean.Val1, target.Item2 - mean.Val2);
            residual = Norm(r);
            if (residual < Negligible || budget <= 0) break;
            if (residual > budget) r = Scale(r, budget / residual);
            budget -= Norm(r);

            // lab += r · weight, then back to 8-bit BGR on the pixels the feather reaches.
            using var w3 = new Mat();
            Cv2.Merge([weightR, weightR, weightR], w3);
            using var offset = new Mat();
            Cv2.Multiply(w3, new Scalar(r.Item0, r.Item1, r.Item2), offset);
            Cv2.Add(lab, offset, lab);
            using var bgr = new Mat();
            Cv2.CvtColor(lab, bgr, ColorConversionCodes.Lab2BGR);
            using var bytes = new Mat();
            bgr.ConvertTo(bytes, MatType.CV_8UC3, 255);
            bytes.CopyTo(resultR, moving);
        }
        return residual;
    }

    private static Mat ToLab(Mat bgr8)
    {
        using var f = new Mat();
        bgr8.ConvertTo(f, MatType.CV_32FC3, 1.0 / 255);
        var lab = new Mat();
        Cv2.CvtColor(f, lab, ColorConversionCodes.BGR2Lab);
        return lab;
    }

    private static Mat NonZero(Mat weight)
    {
        var any = new Mat();
        Cv2.Compare(weight, 0, any, CmpTypes.GT);
        return any;
    }

    private static double Norm(Vec3d v) => Math.Sqrt(v.Item0 * v.Item0 + v.Item1 * v.Item1 + v.Item2 * v.Item2);

    private static Vec3d Scale(Vec3d v, double k) => new(v.Item0 * k, v.Item1 * k, v.Item2 * k);
}
