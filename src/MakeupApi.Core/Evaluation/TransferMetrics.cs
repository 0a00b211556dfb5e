using MakeupApi.Transfer.Classical;
using OpenCvSharp;

namespace MakeupApi.Evaluation;

/// <summary>
/// Measures of one transfer result, shared by the pipeline tests and the engine comparison (makeupapi-cli compare-engines).
/// </summary>
public static class TransferMetrics
{
    /// <summary>
    /// How far a region's mean colour moved from the source's toward the reference's, as a fraction of the CIEDE2000
    /// distance between them: 1 - dE(output, reference) / dE(source, reference). 1 = reached the reference's colour,
    /// 0 = unchanged (or moved sideways), negative = moved away. Null when a mask is empty.
    /// </summary>
    public static ColourShift? ColourMovement(Mat source, Mat sourceMask, Mat output, Mat reference, Mat referenceMask)
    {
        var s = Ciede2000.MeanLab(source, sourceMask);
        var o = Ciede2000.MeanLab(output, sourceMask);
        var r = Ciede2000.MeanLab(reference, referenceMask);
        if (s is null || o is null || r is null) return null;
        double before = Ciede2000.Delta(s.Value, r.Value);
        double after = Ciede2000.Delta(o.Value, r.Value);
        return new ColourShift(before, after, before <= 0 ? 1 : 1 - after / before);
    }

    /// <summary>
    /// <see cref="ColourMovement"/> with each region taken against its own face's skin: the region's mean minus the
    /// skin's mean (CIELAB), put on the reference's skin, against the reference's region. What the makeup adds to the
    /// skin, rather than its colour as it is: copying a light-skinned reference's eye band as it is onto a dark face
    /// (a pale ring round the eyes) moves it toward the reference's colour and away from the reference's look. The
    /// output's skin is the source's skin mask on the output. Null when a mask is empty.
    /// </summary>
    public static ColourShift? ColourMovementOnSkin(Mat source, Mat sourceMask, Mat sourceSkin, Mat output, Mat reference, Mat referenceMask, Mat referenceSkin)
    {
        var s = Ciede2000.MeanLab(source, sourceMask);
        var sk = Ciede2000.MeanLab(source, sourceSkin);
        var o = Ciede2000.MeanLab(output, sourceMask);
        var ok = Ciede2000.MeanLab(output, sourceSkin);
        var r = Ciede2000.MeanLab(reference, referenceMask);
        var rk = Ciede2000.MeanLab(reference, referenceSkin);
        if (s is null || sk is null || o is null || ok is null || r is null || rk is null) return null;
        var onReferenceSkin = (Vec3d region, Vec3d skin) => rk.Value + (region - skin);
        double before = Ciede2000.Delta(onReferenceSkin(s.Value, sk.Value), r.Value);
        double after = Ciede2000.Delta(onReferenceSkin(o.Value, ok.Value), r.Value);
        return new ColourShift(before, after, before <= 0 ? 1 : 1 - after / before);
    }

    /// <summary>
    /// |L*| difference between two masked regions' mean colours (CIELAB, L in [0, 100]): how much lighter or darker
    /// one face's skin is than the other's, the gap the classical engine's eye shadow follows
    /// (ClassicalEngineOptions.ComplexionGapFrom). Null when a mask is empty.
    /// </summary>
    public static double? LightnessGap(Mat a, Mat aMask, Mat b, Mat bMask) =>
        Ciede2000.MeanLab(a, aMask) is { } ma && Ciede2000.MeanLab(b, bMask) is { } mb ? Math.Abs(ma.Item0 - mb.Item0) : null;

    /// <summary>
    /// Chi-squared-like distance (Bhattacharyya, OpenCV HISTCMP_BHATTACHARYYA, 0 = same) between the a*b* chroma
    /// histograms of two masked regions: whether the region's colour spread, not only its mean, resembles the reference.
    /// </summary>
    public static double ChromaHistogramDistance(Mat a, Mat aMask, Mat b, Mat bMask)
    {
        using var ha = ChromaHistogram(a, aMask);
        using var hb = ChromaHistogram(b, bMask);
        return Cv2.CompareHist(ha, hb, HistCompMethods.Bhattacharyya);
    }

    private static Mat ChromaHistogram(Mat bgr, Mat mask)
    {
        using var lab = new Mat();
        Cv2.CvtColor(bgr, lab, ColorConversionCodes.BGR2Lab);
        var hist = new Mat();
        Cv2.CalcHist([lab], [1, 2], mask, hist, 2, [32, 32], [new Rangef(0, 256), new Rangef(0, 256)]);
        Cv2.Normalize(hist, hist, 1, 0, NormTypes.L1);
        return hist;
    }

    /// <summary>
    /// SSIM (Wang et al., IEEE TIP 2004; C1 = (0.01*255)^2, C2 = (0.03*255)^2, 11-px Gaussian window, sigma 1.5) between
    /// the luminance detail layers (L minus its Gaussian blur) of two images inside a mask: texture and structure kept,
    /// whatever the colour change.
    /// </summary>
    public static double DetailSsim(Mat a, Mat b, Mat mask)
    {
        using var da = DetailLayer(a);
        using var db = DetailLayer(b);
        const double c1 = 6.5025, c2 = 58.5225;
        using var muA = Blur(da); using var muB = Blur(db);
        using var sAA = BlurProduct(da, da); using var sBB = BlurProduct(db, db); using var sAB = BlurProduct(da, db);
        using var muA2 = Product(muA, muA); using var muB2 = Product(muB, muB); using var muAB = Product(muA, muB);
        using var num1 = new Mat(); Cv2.AddWeighted(muAB, 2, muAB, 0, c1, num1);           // 2 muA muB + C1
        using var num2 = new Mat(); Cv2.AddWeighted(sAB, 2, muAB, -2, c2, num2);           // 2 cov + C2
        using var den1 = new Mat(); Cv2.AddWeighted(muA2, 1, muB2, 1, c1, den1);           // muA^2 + muB^2 + C1
        using var varSum = new Mat(); Cv2.Add(sAA, sBB, varSum);
        using var den2 = new Mat(); Cv2.AddWeighted(varSum, 1, muA2, -1, c2, den2);         // varA + varB + C2 ...
        Cv2.Subtract(den2, muB2, den2);
        using var num = Product(num1, num2);
        using var den = Product(den1, den2);
        using var map = new Mat();
        Cv2.Divide(num, den, map);
        return Cv2.Mean(map, mask).Val0;
    }

    private static Mat Blur(Mat m)
    {
        var r = new Mat();
        Cv2.GaussianBlur(m, r, new Size(11, 11), 1.5);
        return r;
    }

    private static Mat Product(Mat a, Mat b)
    {
        var r = new Mat();
        Cv2.Multiply(a, b, r);
        return r;
    }

    private static Mat BlurProduct(Mat a, Mat b)
    {
        using var p = Product(a, b);
        return Blur(p);
    }

    private static Mat DetailLayer(Mat bgr)
    {
        using var gray = new Mat();
        Cv2.CvtColor(bgr, gray, ColorConversionCodes.BGR2GRAY);
        var f = new Mat();
        gray.ConvertTo(f, MatType.CV_32FC1);
        using var blur = new Mat();
        Cv2.GaussianBlur(f, blur, new Size(0, 0), 3);
        Cv2.Subtract(f, blur, f);
        f.ConvertTo(f, MatType.CV_32FC1, 1, 128); // centre the detail so SSIM's constants sit on an 8-bit-like scale
        return f;
    }

    /// <summary>Mean landmark displacement divided by the outer-eye-corner distance of the first set.</summary>
    public static double LandmarkDrift(IReadOnlyList<Point2f> before, IReadOnlyList<Point2f> after)
    {
        double iod = before[36].DistanceTo(before[45]);
        return Enumerable.Range(0, before.Count).Average(i => before[i].DistanceTo(after[i])) / iod;
    }

    /// <summary>
    /// Mean per-pixel CIEDE2000 between two 8-bit BGR images of the same size, over the pixels of a mask: how much
    /// pixels that no makeup should touch (the eyeballs and the mouth's interior, <see cref="FaceRegions.Protect"/>)
    /// changed. A tinted eyeball or tooth shifts only part of a region, which a difference of region means can hide.
    /// Null when the mask is empty.
    /// </summary>
    public static double? MeanPixelDelta(Mat a, Mat b, Mat mask)
    {
        if (a.Size() != b.Size() || a.Size() != mask.Size()) throw new ArgumentException("Images and mask must be the same size.");
        var box = Cv2.BoundingRect(mask);
        if (box.Width == 0 || box.Height == 0) return null;
        using var partA = a[box];
        using var partB = b[box];
        using var partMask = mask[box];
        using var labA = Ciede2000.ToLab(partA);
        using var labB = Ciede2000.ToLab(partB);
        var rowsA = labA.AsRows<Vec3f>();
        var rowsB = labB.AsRows<Vec3f>();
        var rowsMask = partMask.AsRows<byte>();
        double sum = 0;
        int count = 0;
        for (int y = 0; y < box.Height; y++)
        {
            var ra = rowsA[y];
            var rb = rowsB[y];
            var rm = rowsMask[y];
            for (int x = 0; x < box.Width; x++)
            {
                if (rm[x] == 0) continue;
                Vec3f p = ra[x], q = rb[x];
                sum += Ciede2000.Delta(p.Item0, p.Item1, p.Item2, q.Item0, q.Item1, q.Item2);
                count++;
            }
        }
        return sum / count;
    }

    /// <summary>Number of pixels that differ between two images of the same size, outside a mask.</summary>
    public static int ChangedPixelsOutside(Mat a, Mat b, Mat mask)
    {
        using var diff = new Mat();
        Cv2.Absdiff(a, b, diff);
        // Per channel, not through a grey mix, in which a change of 1 in one channel can round away.
        using var channelMax = new Mat();
        var channels = diff.Split();
        try
        {
            Cv2.Max(channels[0], channels[1], channelMax);
            Cv2.Max(channelMax, channels[2], channelMax);
        }
        finally { foreach (var c in channels) c.Dispose(); }
        using var outside = new Mat();
        Cv2.BitwiseNot(mask, outside);
        using var changed = new Mat();
        Cv2.BitwiseAnd(channelMax, outside, changed);
        return Cv2.CountNonZero(changed);
    }
}

public readonly record struct ColourShift(double Before, double After, double Fraction);
