using OpenCvSharp;

namespace MakeupApi.Transfer.Classical;

/// <summary>
/// Helpers for working on a coarse grid of a face crop: colour changes without fine detail (makeup colour, lighting)
/// are computed at a fraction of the resolution and brought back as an additive difference.
/// </summary>
internal static class CoarseGrid
{
    /// <summary>
    /// Base layer restricted to a region: blur(X·M) / blur(M). Unlike a plain blur it does not mix in the colours
    /// across the region's edge (skin into lips, hair into skin), so the matched distribution is the region's own.
    /// <paramref name="support"/> is blur(M), the share of the neighbourhood inside the region.
    /// </summary>
    public static void NormalizedBlur(Mat lab, Mat cover, double sigma, Mat baseOut, Mat support)
    {
        using var masked = Masked(lab, cover);
        NormalizedBlurOfMasked(masked, cover, sigma, baseOut, support);
    }

    /// <summary>X·M: three-channel values times a one-channel cover, the numerator of <see cref="NormalizedBlur"/>.</summary>
    public static Mat Masked(Mat values, Mat cover)
    {
        using var cover3 = new Mat();
        Cv2.Merge([cover, cover, cover], cover3);
        var masked = new Mat();
        Cv2.Multiply(values, cover3, masked);
        return masked;
    }

    /// <summary>
    /// <see cref="NormalizedBlur"/> of values already multiplied by the cover (X·M, three channels, left as it is): for
    /// a caller that took X·M and M down to a coarser grid by area, which keeps the sums inside the region exact.
    /// </summary>
    public static void NormalizedBlurOfMasked(Mat masked, Mat cover, double sigma, Mat baseOut, Mat support)
    {
        using var blurred = new Mat();
        Cv2.GaussianBlur(masked, blurred, new Size(0, 0), sigma);
        Cv2.GaussianBlur(cover, support, new Size(0, 0), sigma);
        using var safe = new Mat();
        Cv2.Max(support, 1e-6, safe);
        using var safe3 = new Mat();
        Cv2.Merge([safe, safe, safe], safe3);
        Cv2.Divide(blurred, safe3, baseOut);
    }

    /// <summary>A rectangle of an 8-bit BGR image, area-downsampled to <paramref name="low"/>, as float BGR in [0, 1].</summary>
    public static Mat Downsample(Mat bgr, Rect rect, Size low)
    {
        using var part = bgr[rect];
        using var small = new Mat();
        // Averaging in 8 bits (OpenCV's integer area path) rounds each coarse colour to a whole level, far below what the
        // smooth layers computed from it can show, at a fraction of the cost of converting the full rectangle to float.
        if (part.Size() == low) part.CopyTo(small);
        else Cv2.Resize(part, small, low, 0, 0, InterpolationFlags.Area);
        var f = new Mat();
        small.ConvertTo(f, MatType.CV_32FC3, 1 / 255.0);
        return f;
    }

    /// <summary>CIELAB (L 0..100, a/b about -128..127) of float BGR in [0, 1] (OpenCV's float conversion: sRGB, D65).</summary>
    public static Mat ToLab(Mat bgrF)
    {
        var lab = new Mat();
        Cv2.CvtColor(bgrF, lab, ColorConversionCodes.BGR2Lab);
        return lab;
    }

    /// <summary>A 0/255 mask's share per coarse pixel (CV_32FC1, 0..1).</summary>
    public static Mat Shrink(Mat mask, Rect rect, Size low)
    {
        using var part = mask[rect];
        // Area-averaging the 8-bit mask first (1/255 steps of cover are plenty) keeps the full-size pass cheap.
        using var small = new Mat();
        if (part.Size() == low) part.CopyTo(small);
        else Cv2.Resize(part, small, low, 0, 0, InterpolationFlags.Area);
        var cover = new Mat();
        small.ConvertTo(cover, MatType.CV_32FC1, 1 / 255.0);
        return cover;
    }

    /// <summary>Bounding rectangle of the non-zero pixels of the masks, grown by <paramref name="margin"/> and clipped.</summary>
    public static Rect BoundingRect(int margin, Size size, params Mat[] masks)
    {
        Rect? union = null;
        foreach (var mask in masks)
        {
            var r = Cv2.BoundingRect(mask);
            if (r.Width == 0 || r.Height == 0) continue;
            union = union is null ? r : union.Value | r;
        }
        if (union is null) return default;
        var grown = new Rect(union.Value.X - margin, union.Value.Y - margin,
            union.Value.Width + 2 * margin, union.Value.Height + 2 * margin);
        return grown & new Rect(0, 0, size.Width, size.Height);
    }

    /// <summary>
    /// Grows the rectangle to multiples of <paramref name="q"/> (start and size), clipped to the image; a side cut by
    /// the image edge may end on a partial cell, which the coarse grid rounds up and the crop back trims.
    /// </summary>
    public static Rect SnapToGrid(Rect rect, int q, Size size)
    {
        int x0 = rect.X / q * q, y0 = rect.Y / q * q;
        int x1 = Math.Min(size.Width, (rect.Right + q - 1) / q * q);
        int y1 = Math.Min(size.Height, (rect.Bottom + q - 1) / q * q);
        return new Rect(x0, y0, x1 - x0, y1 - y0);
    }

    /// <summary>The crop pixels of the grid cells <paramref name="cells"/> (grid over <paramref name="work"/>, cell size <paramref name="q"/>), clipped to the image.</summary>
    public static Rect FullRect(Rect work, Rect cells, int q, Size imageSize) =>
        new Rect(work.X + cells.X * q, work.Y + cells.Y * q, cells.Width * q, cells.Height * q) & new Rect(0, 0, imageSize.Width, imageSize.Height);

    /// <summary>
    /// <paramref name="delta"/> (the grid cells <paramref name="cells"/>) bilinearly upsampled to crop pixels, over
    /// <see cref="FullRect"/>. Exactly 0 wherever the cells around a pixel are.
    /// </summary>
    public static Mat Upsample(Mat delta, Rect work, Rect cells, int q, Size imageSize)
    {
        var full = new Rect(work.X + cells.X * q, work.Y + cells.Y * q, cells.Width * q, cells.Height * q);
        var clipped = FullRect(work, cells, q, imageSize);
        using var up = new Mat();
        if (q == 1) delta.CopyTo(up);
        else Cv2.Resize(delta, up, full.Size, 0, 0, InterpolationFlags.Linear);
        using var part = up[new Rect(0, 0, clipped.Width, clipped.Height)];
        return part.Clone();
    }

    /// <summary>
    /// Writes <paramref name="source"/> + 255·Δ into <paramref name="target"/> over the crop pixels of the grid cells
    /// <paramref name="cells"/> (of the grid laid over <paramref name="work"/> with cell size <paramref name="q"/>),
    /// Δ being a coarse BGR difference in [0, 1] units, bilinearly upsampled. Where Δ is exactly 0 (and on
    /// <paramref name="protect"/>) the source bytes come back unchanged; pixels outside the cells are not written.
    /// </summary>
    public static void AddUpsampled(Mat source, Mat target, Mat delta, Rect work, Rect cells, int q, Mat? protect)
    {
        var clipped = FullRect(work, cells, q, source.Size());
        if (clipped.Width <= 0 || clipped.Height <= 0) return;
        using var upPart = Upsample(delta, work, cells, q, source.Size());
        if (protect is not null)
        {
            using var protectPart = protect[clipped];
            upPart.SetTo(Scalar.All(0), protectPart);
        }
        using var sourcePart = source[clipped];
        using var sum = new Mat();
        sourcePart.ConvertTo(sum, MatType.CV_32FC3);
        Cv2.ScaleAdd(upPart, 255, sum, sum);
        using var targetPart = target[clipped];
        sum.ConvertTo(targetPart, MatType.CV_8UC3);
    }

    /// <summary>Mean of a three-channel float grid weighted by a cover (CV_32FC1); <paramref name="total"/> is the weights' sum, 0 giving a zero mean.</summary>
    public static unsafe Vec3d WeightedMean(Mat lab, Mat cover, out double total)
    {
        double s0 = 0, s1 = 0, s2 = 0;
        total = 0;
        int rows = lab.Rows, cols = lab.Cols;
        for (int y = 0; y < rows; y++)
        {
            float* p = (float*)lab.Ptr(y);
            float* m = (float*)cover.Ptr(y);
            for (int x = 0; x < cols; x++)
            {
                float w = m[x];
                if (w <= 0) continue;
                s0 += w * p[3 * x]; s1 += w * p[3 * x + 1]; s2 += w * p[3 * x + 2];
                total += w;
            }
        }
        return total > 0 ? new Vec3d(s0 / total, s1 / total, s2 / total) : default;
    }
}
