using MakeupApi.Alignment;
using OpenCvSharp;

namespace MakeupApi.Transfer.Classical;

/// <summary>
/// Example-based makeup transfer without a learned model. Per region (lips, eye-shadow band, brows, skin) the
/// source's colour distribution is moved to the pose-corrected reference's by histogram matching in CIELAB, on a smooth
/// base layer only, so the source keeps its own texture and fine shading (the detail layer). This is the layer
/// decomposition of Guo &amp; Sim, "Digital Face Makeup by Example" (CVPR 2009): makeup changes the colour and the
/// large-scale appearance of skin, not its fine structure. Region colours are taken relative to each face's skin
/// (see <see cref="ClassicalEngineOptions.LipSkinAnchor"/>), so a darker or lighter source keeps its skin tone.
/// Stateless: safe as a singleton.
/// </summary>
/// <remarks>
/// The base layer, the matching and the colour change are computed on a half-resolution grid (see
/// <see cref="ClassicalEngineOptions.BaseResolution"/>, <see cref="CoarseGrid"/>); the change is turned into a BGR difference
/// g(base + Δ) − g(base), g = Lab→BGR, upsampled and added to the full-resolution source. So the output is the
/// transferred base plus the source's own detail layer (its difference from the base), and pixels no region reaches
/// keep their bytes exactly.
/// </remarks>
public sealed class ClassicalMakeupEngine : IMakeupEngine
{
    private const float LabMinL = 0, LabMaxL = 100, LabMinAb = -128, LabMaxAb = 128;
    private readonly ClassicalEngineOptions _options;

    public ClassicalMakeupEngine(ClassicalEngineOptions? options = null)
    {
        _options = options ?? new ClassicalEngineOptions();
        if (_options.BaseResolution < 32) throw new ArgumentException("BaseResolution must be at least 32 px.", nameof(options));
    }

    public string Name => "classical";

    public Mat Transfer(AlignedFace source, WarpedReference reference, RegionStrengths strengths)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Transfer(source.Image, source.Labels, source.Ibug68, reference, strengths);
    }

    /// <summary>
    /// The transfer on plain Mats: <paramref name="sourceImage"/> (CV_8UC3) with its labels (CV_8UC1) and, optionally,
    /// its 68 landmarks (a fallback for eyes the labels miss); <paramref name="reference"/> at the same size.
    /// </summary>
    public Mat Transfer(Mat sourceImage, Mat sourceLabels, IReadOnlyList<Point2f>? ibug68, WarpedReference reference, RegionStrengths strengths)
    {
        ArgumentNullException.ThrowIfNull(sourceImage);
        ArgumentNullException.ThrowIfNull(sourceLabels);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(strengths);
        var size = sourceImage.Size();
        if (sourceImage.Type() != MatType.CV_8UC3) throw new ArgumentException("Source image must be CV_8UC3.", nameof(sourceImage));
        if (sourceLabels.Type() != MatType.CV_8UC1 || sourceLabels.Size() != size)
            throw new ArgumentException("Source labels must be CV_8UC1 at the image size.", nameof(sourceLabels));
        if (reference.Image.Type() != MatType.CV_8UC3 || reference.Image.Size() != size
            || reference.Labels.Type() != MatType.CV_8UC1 || reference.Labels.Size() != size
            || reference.Valid.Type() != MatType.CV_8UC1 || reference.Valid.Size() != size)
            throw new ArgumentException("The warped reference must match the source crop's size.", nameof(reference));

        var result = sourceImage.Clone();
        if (strengths.IsZero) return result;
        try
        {
            Apply(sourceImage, sourceLabels, ibug68, reference, strengths, result);
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private void Apply(Mat sourceImage, Mat sourceLabels, IReadOnlyList<Point2f>? ibug68, WarpedReference reference,
        RegionStrengths strengths, Mat result)
    {
        var fullSize = sourceImage.Size();
        int side = Math.Max(fullSize.Width, fullSize.Height);
        int q = Math.Max(1, (int)Math.Round(side / (double)_options.BaseResolution));

        var jobs = new List<RegionJob>(4);
        AddJob(jobs, MakeupRegion.Lips, strengths.Lips, _options.LipFeather, _options.LipSkinAnchor, 1f, 1f, 0f, false, side, q);
        AddJob(jobs, MakeupRegion.Eyes, strengths.Eyes, _options.EyeFeather, _options.EyeSkinAnchor, 1f, 1f, _options.EyeSpatialMix, false, side, q);
        AddJob(jobs, MakeupRegion.Brows, strengths.Brows, _options.BrowFeather, _options.BrowSkinAnchor, 1f, 1f, 0f, false, side, q);
        // Foundation: the skin moves part of the way toward the reference skin, by a robust affine map (median and
        // spread) rather than full histogram matching: a reference's blush, contour or shadow left in its "skin"
        // would otherwise be scattered over the source's cheeks by brightness rank.
        AddJob(jobs, MakeupRegion.Skin, strengths.Skin, _options.SkinFeather, 0f,
            _options.FoundationAmount * _options.FoundationLightness, _options.FoundationAmount, 0f, true, side, q);
        if (jobs.Count == 0) return;

        using var srcRegions = FaceRegions.Build(sourceLabels, ibug68);
        // The reference has been warped onto the source's geometry, so the source's landmarks stand in for its own.
        using var refRegions = FaceRegions.Build(reference.Labels, ibug68, reference.Valid);

        // Everything happens inside one working rectangle around the regions (and the skin, for the anchors), on a
        // grid q times coarser; the rectangle is snapped to that grid so the two line up exactly.
        int margin = (int)Math.Ceiling(3 * q * jobs.Max(j => Math.Max(j.FeatherSigma, j.BaseSigma))) + 2 * q;
        var work = CoarseGrid.BoundingRect(margin, fullSize, srcRegions.Skin, refRegions.Skin, srcRegions.EyeBand, refRegions.EyeBand,
            srcRegions.Lips, refRegions.Lips, srcRegions.Brows, refRegions.Brows);
        if (work.Width == 0 || work.Height == 0) return;
        work = CoarseGrid.SnapToGrid(work, q, fullSize);
        var low = new Size((work.Width + q - 1) / q, (work.Height + q - 1) / q);

        using var srcBgr = CoarseGrid.Downsample(sourceImage, work, low);
        using var srcLab = CoarseGrid.ToLab(srcBgr);
        using var refBgr = CoarseGrid.Downsample(reference.Image, work, low);
        using var refLab = CoarseGrid.ToLab(refBgr);
        using var srcSkin = CoarseGrid.Shrink(srcRegions.Skin, work, low);
        using var refSkin = CoarseGrid.Shrink(refRegions.Skin, work, low);
        var skinShift = SkinDifference(srcLab, srcSkin, refLab, refSkin);

        using var delta = new Mat(low, MatType.CV_32FC3, Scalar.All(0));
        using var featherSum = new Mat(low, MatType.CV_32FC1, Scalar.All(0));
        Rect? touched = null; // coarse-grid rectangle the regions changed
        foreach (var job in jobs)
        {
            using var srcCover = job.Region == MakeupRegion.Skin ? srcSkin.Clone() : CoarseGrid.Shrink(srcRegions[job.Region], work, low);
            using var refCover = job.Region == MakeupRegion.Skin ? refSkin.Clone() : CoarseGrid.Shrink(refRegions[job.Region], work, low);
            if (TransferRegion(job, srcLab, srcCover, refLab, refCover, skinShift, delta, featherSum) is { } rect)
                touched = touched is null ? rect : touched.Value | rect;
        }
        if (touched is null) return;

        // Only the changed part of the grid goes on; one cell of margin keeps the upsampling's interpolation exact.
        var cells = new Rect(touched.Value.X - 1, touched.Value.Y - 1, touched.Value.Width + 2, touched.Value.Height + 2)
            & new Rect(0, 0, low.Width, low.Height);
        using var deltaC = delta[cells];
        using var featherSumC = featherSum[cells];
        using var srcLabC = srcLab[cells];

        // Where feathers of neighbouring regions overlap (they can sum past 1 with different widths), share the
        // pixel between them rather than stacking their changes.
        using (var norm = new Mat())
        {
            Cv2.Max(featherSumC, 1.0, norm);
            using var norm3 = new Mat();
            Cv2.Merge([norm, norm, norm], norm3);
            Cv2.Divide(deltaC, norm3, deltaC);
        }

        // The change as a BGR difference on the coarse grid, g(base + Δ) − g(base), g = Lab→BGR. The base here is a
        // light blur of the coarse source: Lab→BGR is curved, so linearising it at the grainy pixels themselves would
        // turn their grain into grain of the difference and scramble the source's texture once it is added back.
        using var smoothLab = new Mat();
        Cv2.GaussianBlur(srcLabC, smoothLab, new Size(0, 0), 1.0);
        using var changedLab = new Mat();
        Cv2.Add(smoothLab, deltaC, changedLab);
        using var bgrChanged = new Mat();
        Cv2.CvtColor(changedLab, bgrChanged, ColorConversionCodes.Lab2BGR);
        using var bgrSmooth = new Mat();
        Cv2.CvtColor(smoothLab, bgrSmooth, ColorConversionCodes.Lab2BGR);
        using var bgrDelta = new Mat();
        Cv2.Subtract(bgrChanged, bgrSmooth, bgrDelta);
        // Unchanged cells must give exactly 0 (the Lab round trip is only exact to ~1e-6): keep the bytes there.
        using (var still = new Mat())
        {
            Cv2.Compare(featherSumC, 0, still, CmpTypes.EQ);
            bgrDelta.SetTo(Scalar.All(0), still);
        }

        CoarseGrid.AddUpsampled(sourceImage, result, bgrDelta, work, cells, q, srcRegions.Protect);
    }

    private void AddJob(List<RegionJob> jobs, MakeupRegion region, float strength, double feather, float anchor,
        float amountL, float amountAb, float spatialMix, bool affine, int side, int q)
    {
        if (!(strength > 0)) return;
        // Sigmas in coarse-grid pixels.
        double featherSigma = Math.Max(0.5, feather * side / q);
        // The base blur must reach at least as far as the feather, so every feathered pixel has a base value.
        double baseSigma = Math.Max(Math.Max(0.5, _options.BaseSigma * side / q), featherSigma);
        jobs.Add(new RegionJob(region, Math.Min(strength, 1f), featherSigma, baseSigma, anchor, amountL, amountAb, spatialMix, affine));
    }

    private sealed record RegionJob(
        MakeupRegion Region, float Strength, double FeatherSigma, double BaseSigma, float Anchor,
        float AmountL, float AmountAb, float SpatialMix, bool Affine);

    /// <summary>
    /// One region on the coarse grid: base layers of both faces, per-channel matching of the source base to the
    /// (skin-anchored) reference base, and the feathered, strength-scaled change added to <paramref name="delta"/>.
    /// Returns the grid rectangle it changed, or null when the reference shows too little of the region.
    /// Covers are the region masks area-downsampled: the share of each coarse pixel inside the region.
    /// </summary>
    private Rect? TransferRegion(RegionJob job, Mat srcLab, Mat srcCover, Mat refLab, Mat refCover, Vec3f skinShift,
        Mat delta, Mat featherSum)
    {
        double srcCount = Cv2.Sum(srcCover).Val0;
        double refCount = Cv2.Sum(refCover).Val0;
        if (srcCount < 1 || refCount < Math.Max(4, _options.MinReferenceCoverage * srcCount)) return null;

        int margin = (int)Math.Ceiling(3 * job.BaseSigma) + 1;
        var rect = CoverRect(srcCover, margin);
        var refRect = CoverRect(refCover, margin);
        // The spatial (eye) transfer reads the reference base at the source's pixels, so its rect covers both.
        if (job.SpatialMix > 0) refRect |= rect;

        using var srcLabR = srcLab[rect];
        using var srcCoverR = srcCover[rect];
        using var refLabR = refLab[refRect];
        using var refCoverR = refCover[refRect];
        using var srcBase = new Mat();
        using var srcSupport = new Mat();
        CoarseGrid.NormalizedBlur(srcLabR, srcCoverR, job.BaseSigma, srcBase, srcSupport);
        using var refBase = new Mat();
        using var refSupport = new Mat();
        // The affine (foundation) map needs only robust statistics, which the coarse pixels give as well as their blur
        // would; both faces' statistics then come from the same kind of values. It saves the largest blur of the engine.
        if (!job.Affine) CoarseGrid.NormalizedBlur(refLabR, refCoverR, job.BaseSigma, refBase, refSupport);

        float chromaAnchor = job.Anchor * _options.AnchorChromaShare;
        var shift = new Vec3f(job.Anchor * skinShift.Item0, chromaAnchor * skinShift.Item1, chromaAnchor * skinShift.Item2);
        var srcHist = NewLabHistograms();
        var refHist = NewLabHistograms();
        Accumulate(job.Affine ? srcLabR : srcBase, srcCoverR, srcHist);
        Accumulate(job.Affine ? refLabR : refBase, refCoverR, refHist);
        var maps = new ChannelMap[3];
        for (int c = 0; c < 3; c++)
        {
            maps[c] = job.Affine
                ? RobustAffineMap(srcHist[c], refHist[c], shift[c])
                : HistogramMatcher.Build(srcHist[c], refHist[c], shift[c]);
        }

        // Feather: a Gaussian of the region's cover, 1/2 on its edge and fading over ~2 sigma either side.
        using var feather = new Mat();
        Cv2.GaussianBlur(srcCoverR, feather, new Size(0, 0), job.FeatherSigma);

        using var deltaR = delta[rect];
        using var featherSumR = featherSum[rect];
        var offset = new Point(rect.X - refRect.X, rect.Y - refRect.Y);
        AccumulateDelta(job, srcBase, srcSupport, refBase, refSupport, offset, maps, shift, feather, deltaR, featherSumR);
        return rect;
    }

    /// <summary>
    /// The foundation map: match median and spread (interquartile range) instead of the whole distribution, with the
    /// spread ratio limited to [0.7, 1.4] so a blotchy or very even reference cannot flatten or exaggerate the source's
    /// shading.
    /// </summary>
    private static ChannelMap RobustAffineMap(ChannelHistogram source, ChannelHistogram reference, float shift)
    {
        double srcMedian = source.Quantile(0.5), refMedian = reference.Quantile(0.5);
        double srcSpread = source.Quantile(0.75) - source.Quantile(0.25);
        double refSpread = reference.Quantile(0.75) - reference.Quantile(0.25);
        double gain = srcSpread > 1e-3 ? Math.Clamp(refSpread / srcSpread, 0.7, 1.4) : 1;
        return ChannelMap.Affine(source, gain, refMedian + shift - gain * srcMedian);
    }

    private static unsafe void AccumulateDelta(RegionJob job, Mat srcBase, Mat srcSupport, Mat refBase, Mat refSupport,
        Point refOffset, ChannelMap[] maps, Vec3f shift, Mat feather, Mat delta, Mat featherSum)
    {
        float kL = job.Strength * job.AmountL, kAb = job.Strength * job.AmountAb, mix = job.SpatialMix;
        int rows = srcBase.Rows, cols = srcBase.Cols;
        for (int y = 0; y < rows; y++)
        {
            float* b = (float*)srcBase.Ptr(y);
            float* s = (float*)srcSupport.Ptr(y);
            float* f = (float*)feather.Ptr(y);
            float* d = (float*)delta.Ptr(y);
            float* fs = (float*)featherSum.Ptr(y);
            float* rb = mix > 0 ? (float*)refBase.Ptr(y + refOffset.Y) : null;
            float* rs = mix > 0 ? (float*)refSupport.Ptr(y + refOffset.Y) : null;
            for (int x = 0; x < cols; x++)
            {
                float w = f[x];
                if (w < 1e-4f || s[x] < 1e-3f) continue;
                int i = 3 * x;
                float d0 = maps[0].Apply(b[i]) - b[i];
                float d1 = maps[1].Apply(b[i + 1]) - b[i + 1];
                float d2 = maps[2].Apply(b[i + 2]) - b[i + 2];
                if (mix > 0)
                {
                    // Where the reference shows this pixel's region, blend in its own (anchored) base colour here.
                    int rx = x + refOffset.X;
                    float m = mix * Math.Clamp((rs[rx] - 0.25f) * 2f, 0f, 1f);
                    if (m > 0)
                    {
                        d0 += m * (rb[3 * rx] + shift.Item0 - b[i] - d0);
                        d1 += m * (rb[3 * rx + 1] + shift.Item1 - b[i + 1] - d1);
                        d2 += m * (rb[3 * rx + 2] + shift.Item2 - b[i + 2] - d2);
                    }
                }
                d[i] += kL * w * d0;
                d[i + 1] += kAb * w * d1;
                d[i + 2] += kAb * w * d2;
                fs[x] += w;
            }
        }
    }

    private static ChannelHistogram[] NewLabHistograms() =>
    [
        new ChannelHistogram(LabMinL, LabMaxL),
        new ChannelHistogram(LabMinAb, LabMaxAb),
        new ChannelHistogram(LabMinAb, LabMaxAb),
    ];

    /// <summary>Adds every pixel's base colour, weighted by how much of the pixel lies in the region.</summary>
    private static unsafe void Accumulate(Mat lab, Mat cover, ChannelHistogram[] hist)
    {
        int rows = lab.Rows, cols = lab.Cols;
        for (int y = 0; y < rows; y++)
        {
            float* p = (float*)lab.Ptr(y);
            float* m = (float*)cover.Ptr(y);
            for (int x = 0; x < cols; x++)
            {
                float w = m[x];
                if (w <= 0) continue;
                hist[0].Add(p[3 * x], w);
                hist[1].Add(p[3 * x + 1], w);
                hist[2].Add(p[3 * x + 2], w);
            }
        }
    }

    /// <summary>
    /// Source skin mean minus reference skin mean (CIELAB), the shift that re-anchors a reference region on the
    /// source's complexion. Zero when either face shows too little skin to say.
    /// </summary>
    private static Vec3f SkinDifference(Mat srcLab, Mat srcSkin, Mat refLab, Mat refSkin)
    {
        var s = WeightedMean(srcLab, srcSkin, out double sw);
        var r = WeightedMean(refLab, refSkin, out double rw);
        if (sw < 16 || rw < 16) return default;
        return new Vec3f((float)(s.Item0 - r.Item0), (float)(s.Item1 - r.Item1), (float)(s.Item2 - r.Item2));
    }

    private static unsafe Vec3d WeightedMean(Mat lab, Mat cover, out double total)
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

    private static Rect CoverRect(Mat cover, int margin)
    {
        using var any = new Mat();
        Cv2.Threshold(cover, any, 0, 255, ThresholdTypes.Binary);
        using var any8 = new Mat();
        any.ConvertTo(any8, MatType.CV_8UC1);
        return CoarseGrid.BoundingRect(margin, cover.Size(), any8);
    }
}
