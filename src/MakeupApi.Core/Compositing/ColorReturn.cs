using MakeupApi.Alignment;
using MakeupApi.Transfer.Classical;
using OpenCvSharp;

namespace MakeupApi.Compositing;

/// <summary>Tunables of <see cref="ColorReturn"/>.</summary>
public sealed record ColorReturnOptions
{
    /// <summary>Default share, in [0, 1], of the source's low-frequency skin colour and lighting brought back.</summary>
    public float Strength { get; init; } = 0.5f;

    /// <summary>
    /// Gaussian sigma of the low-pass, as a fraction of the crop side (16 px at 512): wide enough to keep only
    /// lighting and complexion (the scale of cheeks and forehead), so no makeup detail and no texture is returned.
    /// </summary>
    public double Sigma { get; init; } = 1 / 32.0;

    /// <summary>
    /// Share of the return applied on the makeup regions (lips, eye-shadow band, brows) for lightness and for
    /// chroma. Lightness there is partly the photo's lighting (which should follow the skin) and partly the product
    /// (a dark lipstick, a smoky lid), so it moves a quarter as much; chroma there is the makeup itself, so it barely
    /// moves.
    /// </summary>
    public float MakeupLightness { get; init; } = 0.25f;

    /// <inheritdoc cref="MakeupLightness"/>
    public float MakeupChroma { get; init; } = 0.05f;

    /// <summary>
    /// The drift is measured on skin at least this far (a fraction of the crop side, 8 px at 512) from the makeup
    /// regions: the engines feather lipstick and eye shadow out over the skin around them, and that skin shows the
    /// makeup, not the photo's lighting.
    /// </summary>
    public double MakeupMargin { get; init; } = 1 / 64.0;

    /// <summary>Side, in pixels, of the coarse grid the (smooth) correction is computed on.</summary>
    public int GridResolution { get; init; } = 128;
}

/// <summary>
/// Brings part of the source's own low-frequency colour and lighting back into a makeup result:
/// in CIELAB, result += s · w · (lowpass(source) − lowpass(result)), the low-passes taken over the plain skin only.
/// </summary>
/// <remarks>
/// Why: a transfer engine, trained or example-based, also carries over things that are not makeup: the reference
/// photo's white balance and light, or (for a generator working at 256 px) a global drift of skin tone. Those sit at
/// low spatial frequencies, exactly where the face's lighting and complexion live, while makeup lives in well-defined
/// regions. Measuring the drift on the plain skin (a normalised, masked blur, so lips and eye shadow never count as
/// "drift"), then removing a share of it everywhere on the face, restores the photo's lighting and the person's skin
/// tone; in the makeup regions only the lightness part is returned (<see cref="ColorReturnOptions.MakeupChroma"/>), so
/// the lipstick's and eye shadow's hues stay as transferred. The correction is smooth by construction, so it is
/// computed on a coarse grid and added as a BGR difference: pixels it does not reach keep their bytes exactly.
/// </remarks>
public sealed class ColorReturn
{
    private readonly ColorReturnOptions _options;

    public ColorReturn(ColorReturnOptions? options = null)
    {
        _options = options ?? new ColorReturnOptions();
        CheckStrength(_options.Strength);
        if (_options.GridResolution < 16) throw new ArgumentException("GridResolution must be at least 16.", nameof(options));
    }

    public float Strength => _options.Strength;

    /// <summary>The result with part of the source's colour returned; <paramref name="strength"/> overrides the default.</summary>
    public Mat Apply(AlignedFace source, Mat result, float? strength = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Apply(source.Image, result, source.Labels, source.Ibug68, strength);
    }

    /// <param name="source">The source crop, CV_8UC3.</param>
    /// <param name="result">The engine's output for it, same size.</param>
    /// <param name="labels">The source crop's parsing labels.</param>
    /// <param name="ibug68">Optional landmarks (eye fallback of the eye-shadow band).</param>
    /// <param name="strength">In [0, 1]; 0 returns an exact copy of <paramref name="result"/>.</param>
    public Mat Apply(Mat source, Mat result, Mat labels, IReadOnlyList<Point2f>? ibug68 = null, float? strength = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(labels);
        if (source.Type() != MatType.CV_8UC3 || result.Type() != MatType.CV_8UC3 || source.Size() != result.Size())
            throw new ArgumentException("Source and result must be CV_8UC3 of one size.", nameof(result));
        if (labels.Type() != MatType.CV_8UC1 || labels.Size() != source.Size())
            throw new ArgumentException("Labels must be CV_8UC1 at the crop size.", nameof(labels));
        float s = strength ?? _options.Strength;
        CheckStrength(s);

        var output = result.Clone();
        if (s <= 0) return output;
        try
        {
            Return(source, result, labels, ibug68, s, output);
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    private void Return(Mat source, Mat result, Mat labels, IReadOnlyList<Point2f>? ibug68, float s, Mat output)
    {
        var size = source.Size();
        int side = Math.Max(size.Width, size.Height);
        int q = Math.Max(1, (int)Math.Round(side / (double)_options.GridResolution));
        double sigma = Math.Max(0.5, _options.Sigma * side / q);

        using var regions = FaceRegions.Build(labels, ibug68);
        using var makeup = new Mat();
        Cv2.BitwiseOr(regions.Lips, regions.EyeBand, makeup);
        Cv2.BitwiseOr(makeup, regions.Brows, makeup);

        int margin = (int)Math.Ceiling(3 * sigma * q) + 2 * q;
        var work = CoarseGrid.BoundingRect(margin, size, regions.Skin, makeup);
        if (work.Width == 0 || work.Height == 0) return;
        work = CoarseGrid.SnapToGrid(work, q, size);
        var low = new Size((work.Width + q - 1) / q, (work.Height + q - 1) / q);

        // The plain skin the drift is measured on: away from the makeup regions' feathered edges, and off the cheeks,
        // whose colour may be blush.
        using var plainSkin = new Mat();
        Cv2.Subtract(regions.Skin, regions.Cheeks, plainSkin);
        int margin2 = (int)Math.Round(_options.MakeupMargin * side);
        if (margin2 > 0)
        {
            using var near = new Mat();
            using var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * margin2 + 1, 2 * margin2 + 1));
            Cv2.Dilate(makeup, near, kernel);
            using var notNear = new Mat();
            Cv2.BitwiseNot(near, notNear);
            Cv2.BitwiseAnd(plainSkin, notNear, plainSkin);
        }

        using var srcBgr = CoarseGrid.Downsample(source, work, low);
        using var srcLab = CoarseGrid.ToLab(srcBgr);
        using var resBgr = CoarseGrid.Downsample(result, work, low);
        using var resLab = CoarseGrid.ToLab(resBgr);
        using var skin = CoarseGrid.Shrink(regions.Skin, work, low);
        using var measured = CoarseGrid.Shrink(plainSkin, work, low);
        using var makeupCover = CoarseGrid.Shrink(makeup, work, low);
        using var cheekCover = CoarseGrid.Shrink(regions.Cheeks, work, low);
        if (Cv2.Sum(measured).Val0 < 4) return; // no plain skin to measure the drift on

        // The drift, measured on the plain skin only.
        using var lowSource = new Mat();
        using var support = new Mat();
        CoarseGrid.NormalizedBlur(srcLab, measured, sigma, lowSource, support);
        using var lowResult = new Mat();
        using var support2 = new Mat();
        CoarseGrid.NormalizedBlur(resLab, measured, sigma, lowResult, support2);
        using var drift = new Mat();
        Cv2.Subtract(lowSource, lowResult, drift);
        var meanDrift = MeanDrift(srcLab, resLab, measured);

        // Per-pixel weights: the skin fully, makeup regions partly (L vs chroma), nothing elsewhere; feathered by the
        // area-downsampled masks. Where the skin support is thin (far from any skin) the drift is an extrapolation:
        // fade it out below 10% support.
        using var weightL = new Mat();
        using var weightC = new Mat();
        Cv2.AddWeighted(skin, s, makeupCover, s * _options.MakeupLightness, 0, weightL);
        Cv2.AddWeighted(skin, s, makeupCover, s * _options.MakeupChroma, 0, weightC);
        using var confidence = new Mat();
        Cv2.Multiply(support, 10.0, confidence);
        Cv2.Min(confidence, 1.0, confidence);
        Cv2.Min(weightL, s, weightL);
        Cv2.Min(weightC, s, weightC);
        // The cheeks are not measured, since a blush there is makeup, not drift; deep inside them, where the plain skin
        // around is too far to say, they take the plain skin's mean drift instead of fading out: the foundation moved
        // them as it moved the rest of the skin, and that share must come back alike, or the cheeks would stand out
        // from the skin by the share kept.
        using var fill = new Mat();
        Cv2.Subtract(Scalar.All(1.0), confidence, fill);
        Cv2.Multiply(fill, cheekCover, fill);
        using var filled = new Mat();
        using (var confidence3 = new Mat())
        using (var fill3 = new Mat())
        {
            Cv2.Merge([confidence, confidence, confidence], confidence3);
            Cv2.Merge([fill, fill, fill], fill3);
            Cv2.Multiply(drift, confidence3, filled);
            Cv2.Multiply(fill3, new Scalar(meanDrift.Item0, meanDrift.Item1, meanDrift.Item2), fill3);
            Cv2.Add(filled, fill3, filled);
        }
        using var active = new Mat();
        Cv2.Max(confidence, fill, active);

        using var weights = new Mat();
        Cv2.Merge([weightL, weightC, weightC], weights);
        using var change = new Mat();
        Cv2.Multiply(filled, weights, change);
        using var returnedLab = new Mat();
        Cv2.Add(resLab, change, returnedLab);
        using var returnedBgr = new Mat();
        Cv2.CvtColor(returnedLab, returnedBgr, ColorConversionCodes.Lab2BGR);
        using var delta = new Mat();
        Cv2.Subtract(returnedBgr, resBgr, delta);
        using (var any = new Mat())
        using (var still = new Mat())
        {
            Cv2.Max(weightL, weightC, any);
            Cv2.Multiply(any, active, any);
            Cv2.Compare(any, 0, still, CmpTypes.LE);
            delta.SetTo(Scalar.All(0), still); // untouched cells stay exactly 0 despite the Lab round trip
        }

        CoarseGrid.AddUpsampled(result, output, delta, work, new Rect(0, 0, low.Width, low.Height), q, regions.Protect);
    }

    /// <summary>Mean of source minus result (CIELAB) over the cover: the drift of the plain skin as a whole.</summary>
    private static Vec3d MeanDrift(Mat srcLab, Mat resLab, Mat cover)
    {
        var s = CoarseGrid.WeightedMean(srcLab, cover, out _);
        var r = CoarseGrid.WeightedMean(resLab, cover, out _);
        return new Vec3d(s.Item0 - r.Item0, s.Item1 - r.Item1, s.Item2 - r.Item2);
    }

    private static void CheckStrength(float strength)
    {
        if (!(strength >= 0 && strength <= 1))
            throw new ArgumentOutOfRangeException(nameof(strength), strength, "Colour-return strength must be in [0, 1].");
    }
}
