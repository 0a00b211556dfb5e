using OpenCvSharp;

namespace MakeupApi.Transfer.Classical;

/// <summary>
/// Blush: the colour the reference's cheeks have over the rest of its own skin, put on the source's cheeks where the
/// pose-corrected reference shows it. The foundation (<see cref="ClassicalMakeupEngine"/>'s robust affine map of the
/// skin) moves the skin's colours as a whole and, by design, scatters nothing by place; a blush is a place, so it is
/// taken pixel by pixel from the warped reference, as the eye shadow's spatial share is.
/// </summary>
/// <remarks>
/// Only chroma, and as chroma per unit of lightness (a*/L*, b*/L*): the reference photo's lighting changes L* and, in
/// proportion, a* and b* (a shaded cheek of the same skin keeps a*/L* within 3.5% for 20% less light and 10% for 40%
/// less; checked with OpenCV's sRGB→CIELAB on four skin tones of L* 38 to 83), while a blush raises a* and b* against
/// L*. So a half-shaded reference gives no blotch, and the source's own shading scales the blush it gets, as it would
/// a real one. Lightness is left to the foundation.
/// </remarks>
internal static class BlushLayer
{
    /// <summary>Below this L* the ratio is unstable; darker pixels use it as their lightness.</summary>
    private const float MinLightness = 10f;

    /// <summary>
    /// The blush's CIELAB change on the grid (CV_32FC3, L* change 0), or null when either face shows too little skin
    /// outside its cheeks to say what its plain skin is. Covers are the regions' share of each grid pixel (CV_32FC1).
    /// </summary>
    /// <param name="amount">Share of the reference's cheek colour put on (skin strength times the option).</param>
    /// <param name="evenOwn">Share of the source's own cheek colour (its flush, over its plain skin) taken away first.</param>
    /// <param name="patternSigma">Gaussian sigma of the cheeks' colour pattern, in grid pixels: blush has no finer structure.</param>
    /// <param name="featherSigma">Sigma of the cheek zones' outward feather, in grid pixels.</param>
    /// <param name="midline">Grid column of the face's vertical midline, between the two cheeks (the crop is upright);
    /// NaN when unknown: both sides then take the right side's scale.</param>
    /// <param name="sideScales">Share of the reference's blush each cheek takes, left and right of the midline
    /// (<see cref="SideScales"/>); whole on both when null.</param>
    public static Mat? Change(Mat srcLab, Mat srcSkin, Mat srcCheeks, Mat refLab, Mat refSkin, Mat refCheeks,
        float amount, float evenOwn, double patternSigma, double featherSigma, float maxChange,
        float midline = float.NaN, (float Left, float Right)? sideScales = null)
    {
        using var srcRel = RelativeChroma(srcLab);
        using var refRel = RelativeChroma(refLab);
        if (PlainSkinMean(srcRel, srcSkin, srcCheeks) is not { } srcPlain || PlainSkinMean(refRel, refSkin, refCheeks) is not { } refPlain)
            return null;

        using var srcPattern = new Mat();
        using var srcSupport = new Mat();
        Pattern(srcRel, srcSkin, patternSigma, srcPattern, srcSupport);
        using var refPattern = new Mat();
        using var refSupport = new Mat();
        Pattern(refRel, refSkin, patternSigma, refPattern, refSupport);

        // 1 on the whole cheek zone, fading outside it, and only on the source's skin (never the eye band or lips).
        using var weight = new Mat();
        Cv2.GaussianBlur(srcCheeks, weight, new Size(0, 0), featherSigma);
        Cv2.Multiply(weight, 2.0, weight);
        Cv2.Min(weight, 1.0, weight);
        Cv2.Multiply(weight, srcSkin, weight);

        var change = new Mat(srcLab.Size(), MatType.CV_32FC3, Scalar.All(0));
        Fill(change, weight, srcPattern, srcSupport, refPattern, refSupport, srcPlain, refPlain, amount, evenOwn, maxChange,
            midline, sideScales ?? (1f, 1f));
        return change;
    }

    /// <summary>
    /// The normalised blur (<see cref="CoarseGrid.NormalizedBlurOfMasked"/>) of the ratios over the skin, at the grid's
    /// size. Where the sigma spans two grid pixels or more it is taken on a grid half as fine, from area sums of X·M
    /// and M, and brought back bilinearly: the pattern has nothing finer than its sigma, and the blur was most of the
    /// layer's cost at full grid.
    /// </summary>
    private static void Pattern(Mat rel, Mat cover, double sigma, Mat pattern, Mat support)
    {
        if (sigma < 2 || rel.Width < 8 || rel.Height < 8)
        {
            CoarseGrid.NormalizedBlur(rel, cover, sigma, pattern, support);
            return;
        }
        using var masked = CoarseGrid.Masked(rel, cover);
        var half = new Size((rel.Width + 1) / 2, (rel.Height + 1) / 2);
        using var maskedHalf = new Mat();
        Cv2.Resize(masked, maskedHalf, half, 0, 0, InterpolationFlags.Area);
        using var coverHalf = new Mat();
        Cv2.Resize(cover, coverHalf, half, 0, 0, InterpolationFlags.Area);
        using var patternHalf = new Mat();
        using var supportHalf = new Mat();
        CoarseGrid.NormalizedBlurOfMasked(maskedHalf, coverHalf, sigma / 2, patternHalf, supportHalf);
        Cv2.Resize(patternHalf, pattern, rel.Size(), 0, 0, InterpolationFlags.Linear);
        Cv2.Resize(supportHalf, support, rel.Size(), 0, 0, InterpolationFlags.Linear);
    }

    /// <summary>
    /// How much of the reference's blush each cheek takes (left of the midline, right of it): a blush is put on both
    /// cheeks alike, the light seldom falls on them alike. A cheek in deep shade can keep its redness while its
    /// lightness falls, so its a*/L* rises: a reference lit from one side showed a "blush" on its shaded cheek alone,
    /// and the source got one orange-red cheek (a sunlit girl under a towel, UR400 sheet row 6: a*/L* over the plain
    /// skin 0.40 on one cheek of her own crop, 0.14 on the other). Either cheek's redness (<see cref="SideRedness"/>)
    /// may be <paramref name="sideBalance"/> times the other's; a cheek above that is scaled down to it. Unknown
    /// redness (a cheek without skin) or a balance of infinity leave both whole.
    /// </summary>
    internal static (float Left, float Right) SideScales((double Left, double Right)? redness, float sideBalance)
    {
        if (redness is not var (left, right) || float.IsPositiveInfinity(sideBalance)) return (1f, 1f);
        return ((float)Scale(left, right), (float)Scale(right, left));

        double Scale(double own, double other) => own <= sideBalance * other ? 1 : sideBalance * other / own;
    }

    /// <summary>
    /// The reference's redness per cheek, in its own (unwarped) crop: the mean of <see cref="BlushPart"/>'s a* of its
    /// a*/L* over the plain skin's mean, on each cheek zone (left and right of the midline). Its own crop, not the
    /// warped one: on a turned source, the far cheek's narrow zone samples the edge of the reference's cheek, which
    /// would hold back a blush the reference wears on both. Taken on a grid a quarter as fine: a side's mean over
    /// hundreds of pixels needs no more. Null when either cheek or the plain skin shows under 16 grid pixels.
    /// </summary>
    internal static (double Left, double Right)? SideRedness(Mat bgr, FaceRegions regions, float midline)
    {
        var small = new Size(Math.Max(1, bgr.Width / 4), Math.Max(1, bgr.Height / 4));
        var whole = new Rect(0, 0, bgr.Width, bgr.Height);
        using var bgrF = CoarseGrid.Downsample(bgr, whole, small);
        using var lab = CoarseGrid.ToLab(bgrF);
        using var rel = RelativeChroma(lab);
        using var skin = CoarseGrid.Shrink(regions.Skin, whole, small);
        using var cheeks = CoarseGrid.Shrink(regions.Cheeks, whole, small);
        if (PlainSkinMean(rel, skin, cheeks) is not { } plain) return null;
        // Quarter-grid cell j covers crop columns 4j to 4j + 3, its centre at 4j + 1.5.
        var (left, right) = FaceRegions.SplitAt(cheeks, (int)Math.Ceiling((midline - 1.5f) / 4));
        using (left)
        using (right)
            return MeanRedness(rel, left, plain) is { } l && MeanRedness(rel, right, plain) is { } r ? (l, r) : null;
    }

    /// <summary>The cover-weighted mean of BlushPart's a* over <paramref name="cover"/>; null under 16 grid pixels.</summary>
    private static unsafe double? MeanRedness(Mat rel, Mat cover, Vec2f plain)
    {
        double sum = 0, weight = 0;
        int rows = rel.Rows, cols = rel.Cols;
        for (int y = 0; y < rows; y++)
        {
            float* r = (float*)rel.Ptr(y);
            float* c = (float*)cover.Ptr(y);
            for (int x = 0; x < cols; x++)
            {
                if (c[x] <= 0) continue;
                sum += c[x] * BlushPart(r[3 * x + 1] - plain.Item0, r[3 * x + 2] - plain.Item1).A;
                weight += c[x];
            }
        }
        return weight < 16 ? null : sum / weight;
    }

    /// <summary>
    /// The share of the blush the reference vouches for at a cell, from its skin's share of the neighbourhood: it says
    /// something only where its skin fills enough of it (as the eye shadow's spatial share,
    /// ClassicalMakeupEngine.AccumulateDelta).
    /// </summary>
    private static float Shown(float refSupport) => Math.Clamp((refSupport - 0.25f) * 2f, 0f, 1f);

    private static unsafe void Fill(Mat change, Mat weight, Mat srcPattern, Mat srcSupport, Mat refPattern, Mat refSupport,
        Vec2f srcPlain, Vec2f refPlain, float amount, float evenOwn, float maxChange, float midline, (float Left, float Right) scales)
    {
        int rows = change.Rows, cols = change.Cols;
        for (int y = 0; y < rows; y++)
        {
            float* w = (float*)weight.Ptr(y);
            float* sp = (float*)srcPattern.Ptr(y);
            float* ss = (float*)srcSupport.Ptr(y);
            float* rp = (float*)refPattern.Ptr(y);
            float* rs = (float*)refSupport.Ptr(y);
            float* d = (float*)change.Ptr(y);
            for (int x = 0; x < cols; x++)
            {
                if (w[x] < 1e-4f || ss[x] < 1e-3f) continue;
                int i = 3 * x;
                float shown = Shown(rs[x]) * (x < midline ? scales.Left : scales.Right);
                // Back from ratios to a* and b* at the lightness of the darker of the two cheeks: the ratio is
                // steadier on a light face than a dark one (a* / L* climbs as the light falls, by 23% from L* 38 to 14
                // on a dark skin tone against 11% from L* 83 to 35 on a light one, same conversion as above), so a
                // dark reference's cheek, multiplied up by a light source's lightness, came out as an orange patch.
                float lightness = Math.Max(MinLightness, Math.Min(sp[i], rp[i]));
                var (ra, rb) = BlushPart(rp[i + 1] - refPlain.Item0, rp[i + 2] - refPlain.Item1);
                var (sa, sb) = BlushPart(sp[i + 1] - srcPlain.Item0, sp[i + 2] - srcPlain.Item1);
                float da = shown * ra - evenOwn * sa;
                float db = shown * rb - evenOwn * sb;
                float k = amount * w[x] * lightness;
                d[i + 1] = Math.Clamp(k * da, -maxChange, maxChange);
                d[i + 2] = Math.Clamp(k * db, -maxChange, maxChange);
            }
        }
    }

    /// <summary>
    /// Largest |b*| of a blush per unit of its a*: tan 45°. Pinks, roses and corals lie within 45° of the +a* axis;
    /// orange and bronze further toward +b* are the foundation's to carry (a warm sunlit cheek is no blush).
    /// </summary>
    private const float MaxHueSlope = 1f;

    /// <summary>
    /// What of a cheek's colour over the plain skin can be blush: redder (a* up), and at most <see cref="MaxHueSlope"/>
    /// toward yellow or blue. Cheeks less red than the rest of the face are no blush: against a face painted all over
    /// (a galaxy look, white paint) the "plain" skin is paint, and the cheeks' difference from it came out green.
    /// </summary>
    internal static (float A, float B) BlushPart(float a, float b) =>
        a > 0 ? (a, Math.Clamp(b, -MaxHueSlope * a, MaxHueSlope * a)) : (0f, 0f);

    /// <summary>(L*, a*/L*, b*/L*) of a CIELAB grid, L* floored at <see cref="MinLightness"/> for the ratios.</summary>
    private static unsafe Mat RelativeChroma(Mat lab)
    {
        var rel = new Mat(lab.Size(), MatType.CV_32FC3);
        int rows = lab.Rows, cols = lab.Cols;
        for (int y = 0; y < rows; y++)
        {
            float* p = (float*)lab.Ptr(y);
            float* r = (float*)rel.Ptr(y);
            for (int x = 0; x < cols; x++)
            {
                int i = 3 * x;
                float l = Math.Max(MinLightness, p[i]);
                r[i] = p[i];
                r[i + 1] = p[i + 1] / l;
                r[i + 2] = p[i + 2] / l;
            }
        }
        return rel;
    }

    /// <summary>
    /// The mean (a*/L*, b*/L*) of the skin outside the cheek zones: the face's plain skin, against which its cheeks'
    /// colour is what blush (or a flush) adds. Null under 16 grid pixels of it.
    /// </summary>
    private static Vec2f? PlainSkinMean(Mat rel, Mat skin, Mat cheeks)
    {
        using var offCheeks = new Mat();
        Cv2.Multiply(skin, cheeks, offCheeks);
        Cv2.Subtract(skin, offCheeks, offCheeks);
        var mean = CoarseGrid.WeightedMean(rel, offCheeks, out double total);
        return total < 16 ? null : new Vec2f((float)mean.Item1, (float)mean.Item2);
    }
}
