using MakeupApi.Alignment;
using MakeupApi.FaceAnalysis.Parsing;
using OpenCvSharp;

namespace MakeupApi.Transfer.Classical;

/// <summary>
/// Example-based makeup transfer without a learned model. Per region (lips, eye-shadow band, brows, skin) the
/// source's colour distribution is moved to the pose-corrected reference's by histogram matching in CIELAB, on a smooth
/// base layer only, so the source keeps its own texture and fine shading (the detail layer). This is the layer
/// decomposition of Guo &amp; Sim, "Digital Face Makeup by Example" (CVPR 2009): makeup changes the colour and the
/// large-scale appearance of skin, not its fine structure. Region colours are taken relative to each face's skin
/// (see <see cref="ClassicalEngineOptions.LipSkinAnchor"/>), so a darker or lighter source keeps its skin tone; eye
/// shadow moves onto the source's own skin where the complexions differ (<see cref="ClassicalEngineOptions.Complexion"/>).
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
        (_options.Complexion ?? throw new ArgumentException("Complexion must be set.", nameof(options))).Validate(nameof(options));
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

        // Thin regions (lips and brows are 10-20 px tall at 512) are transferred at full resolution: on a grid q times
        // coarser they are a few cells tall, most of them cut by the edge, and neither their colour nor their edge
        // can be rendered there. They are small, so this costs little. The broad regions use the coarse grid.
        var fine = new List<RegionJob>(2);
        AddJob(fine, MakeupRegion.Lips, strengths.Lips, _options.LipFeather, _options.LipSkinAnchor, 1f, 1f, 0f, false, true, side, 1);
        // Brows feather across their edge: a parsed brow takes in some of the skin around the hairs, and a brow colour
        // (dark to light brown, say) carried past the edge would draw a bright or dark outline round it.
        AddJob(fine, MakeupRegion.Brows, strengths.Brows, _options.BrowFeather, _options.BrowSkinAnchor, 1f, 1f, 0f, false, false, side, 1);
        var coarse = new List<RegionJob>(2);
        AddJob(coarse, MakeupRegion.Eyes, strengths.Eyes, _options.EyeFeather, _options.EyeSkinAnchor, 1f, 1f, _options.EyeSpatialMix, false, true, side, q);
        // Foundation: the skin moves part of the way toward the reference skin, by a robust affine map (median and
        // spread) rather than full histogram matching: a reference's blush, contour or shadow left in its "skin"
        // would otherwise be scattered over the source's cheeks by brightness rank.
        AddJob(coarse, MakeupRegion.Skin, strengths.Skin, _options.SkinFeather, 0f,
            _options.FoundationAmount * _options.FoundationLightness, _options.FoundationAmount, 0f, true, false, side, q);
        // Blush is the cheeks' colour, part of the skin's makeup: it has its own strength, which follows the skin's
        // unless the caller sets it (RegionStrengths.Blush).
        float blush = Math.Min(strengths.BlushOrSkin, 1f) * _options.BlushAmount;
        if (fine.Count == 0 && coarse.Count == 0 && !(blush > 0)) return;

        using var srcRegions = FaceRegions.Build(sourceLabels, ibug68);
        // The reference has been warped onto the source's geometry, so the source's landmarks stand in for its own.
        using var refRegions = FaceRegions.Build(reference.Labels, ibug68, reference.Valid);

        // The coarse part happens inside one working rectangle around the regions (and the skin, for the anchors), on
        // a grid q times coarser; the rectangle is snapped to that grid so the two line up exactly.
        int margin = (int)Math.Ceiling(Reach * q * coarse.Select(j => j.BaseSigma).DefaultIfEmpty(1).Max()) + 2 * q;
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

        // The coarse regions' change, as a BGR difference on the grid (null when they changed nothing).
        // The regions the passes changed: the mean correction follows the transfer, never paints a region it skipped.
        var transferred = new HashSet<MakeupRegion>();
        Rect cells = default;
        var blushSides = new BlushSides(ibug68 is { Count: 68 } ? GridColumn(FaceRegions.MidlineX(ibug68), work, q) : float.NaN,
            blush > 0 ? BlushSideScales(reference.Unwarped) : (1f, 1f));
        using var coarseDelta = CoarsePass(coarse, blush, blushSides, srcRegions, refRegions, work, low, q, srcLab, srcSkin, refLab, refSkin, skinShift, transferred, out cells);

        // The thin regions' changes at full resolution, each already weighted by its feather.
        var layers = new List<FineLayer>(fine.Count);
        try
        {
            foreach (var job in fine)
            {
                using var refSample = job.Region == MakeupRegion.Lips
                    ? LipSample(refRegions.Lips, sourceLabels, side)
                    : refRegions[job.Region].Clone();
                if (FinePass(job, sourceImage, srcRegions[job.Region], reference.Image, refSample, skinShift, side) is { } layer)
                {
                    layers.Add(layer);
                    transferred.Add(job.Region);
                }
            }

            Rect? target = null;
            Rect coarseRect = default;
            if (coarseDelta is not null)
            {
                coarseRect = CoarseGrid.FullRect(work, cells, q, fullSize);
                if (coarseRect.Width > 0 && coarseRect.Height > 0) target = coarseRect;
            }
            foreach (var layer in layers) target = target is null ? layer.Rect : target.Value | layer.Rect;
            if (target is not { } all) return;

            // Compose at full resolution: the coarse change upsampled, then each thin region over it (its feather
            // blends it out over the coarse change), protected pixels reset, and the sum added to the source.
            using var change = new Mat(all.Size, MatType.CV_32FC3, Scalar.All(0));
            if (coarseDelta is not null && coarseRect.Width > 0 && coarseRect.Height > 0)
            {
                using var up = CoarseGrid.Upsample(coarseDelta, work, cells, q, fullSize);
                using var dst = change[new Rect(coarseRect.X - all.X, coarseRect.Y - all.Y, coarseRect.Width, coarseRect.Height)];
                up.CopyTo(dst);
            }
            foreach (var layer in layers)
            {
                using var dst = change[new Rect(layer.Rect.X - all.X, layer.Rect.Y - all.Y, layer.Rect.Width, layer.Rect.Height)];
                using var keep = new Mat();
                Cv2.Subtract(Scalar.All(1.0), layer.Weight, keep);
                using var keep3 = new Mat();
                Cv2.Merge([keep, keep, keep], keep3);
                Cv2.Multiply(dst, keep3, dst);
                Cv2.Add(dst, layer.Delta, dst);
            }
            using (var protect = srcRegions.Protect[all]) change.SetTo(Scalar.All(0), protect);
            using var sourcePart = sourceImage[all];
            using var sum = new Mat();
            sourcePart.ConvertTo(sum, MatType.CV_32FC3);
            Cv2.ScaleAdd(change, 255, sum, sum);
            using (var targetPart = result[all]) sum.ConvertTo(targetPart, MatType.CV_8UC3);
            CorrectMeans(sourceImage, result, srcRegions, refRegions, reference, strengths, transferred, skinShift, side);
        }
        finally
        {
            foreach (var layer in layers) layer.Dispose();
        }
    }

    /// <summary>
    /// Lips and eye shadow end on the mean colour they were meant to get (<see cref="RegionMeanCorrection"/>): the
    /// source region's mean moved by the region's strength toward the reference region's mean plus its skin anchor.
    /// The reference's mean is taken in its own, unwarped crop when the pipeline supplies it: pose correction
    /// stretches a region unevenly (the few rows between closed lips spread over an open mouth, a turned head's far
    /// lid), so the warped pixels' mean can differ from the makeup's by as much as the source's colour does. Only the
    /// regions the transfer changed are corrected.
    /// </summary>
    private void CorrectMeans(Mat sourceImage, Mat result, FaceRegions srcRegions, FaceRegions warpedRegions,
        WarpedReference reference, RegionStrengths strengths, IReadOnlySet<MakeupRegion> transferred, Vec3f skinShift, int side)
    {
        if (!(_options.MaxMeanCorrection > 0)) return;
        var unwarped = reference.Unwarped;
        foreach (var (region, strength, anchor, feather) in new[]
                 {
                     (MakeupRegion.Lips, strengths.Lips, _options.LipSkinAnchor, _options.LipFeather),
                     (MakeupRegion.Eyes, strengths.Eyes, _options.EyeSkinAnchor, _options.EyeFeather),
                 })
        {
            if (!transferred.Contains(region)) continue;
            var srcMask = srcRegions[region];
            // The unwarped reference needs only this region's mask, not all of FaceRegions.
            using var ownMask = unwarped is null ? null
                : region == MakeupRegion.Lips ? FaceRegions.LipsMask(unwarped.Labels)
                : FaceRegions.EyeShadowBand(unwarped.Labels, unwarped.Ibug68);
            var refMean = Ciede2000.MeanLab(unwarped?.Image ?? reference.Image, ownMask ?? warpedRegions[region]);
            if (Ciede2000.MeanLab(sourceImage, srcMask) is not { } s || refMean is not { } r) continue;

            var shift = AnchorShift(anchor, ComplexionWeight(region, skinShift), skinShift, s, r);
            float k = Math.Min(strength, 1f);
            var target = new Vec3d(
                s.Item0 + k * (r.Item0 + shift.Item0 - s.Item0),
                s.Item1 + k * (r.Item1 + shift.Item1 - s.Item1),
                s.Item2 + k * (r.Item2 + shift.Item2 - s.Item2));

            // The correction works on the part of the crop the region's feather reaches.
            double sigma = Math.Max(0.5, feather * side);
            var rect = CoarseGrid.BoundingRect((int)Math.Ceiling(Reach * sigma) + 2, srcMask.Size(), srcMask);
            if (rect.Width == 0 || rect.Height == 0) continue;
            using var maskPart = srcMask[rect];
            using var weight = OutwardFeather(maskPart, sigma);
            using (var protect = srcRegions.Protect[rect]) weight.SetTo(Scalar.All(0), protect);
            using var resultPart = result[rect];
            RegionMeanCorrection.Apply(resultPart, maskPart, weight, target, _options.MaxMeanCorrection);
        }
    }

    /// <summary>min(1, 2·G_σ * mask), the engine's outward feather at full resolution, set to 0 where below 1e-3.</summary>
    private static Mat OutwardFeather(Mat mask, double sigma)
    {
        using var cover = new Mat();
        mask.ConvertTo(cover, MatType.CV_32FC1, 1 / 255.0);
        var weight = new Mat();
        Cv2.GaussianBlur(cover, weight, new Size(0, 0), sigma);
        SpreadOutward(weight);
        Cv2.Threshold(weight, weight, 1e-3, 0, ThresholdTypes.Tozero);
        return weight;
    }

    /// <summary>
    /// The pose-corrected reference's lip pixels to take the lip colours from: all of them but those over the source's
    /// open mouth (and <see cref="ClassicalEngineOptions.MouthMargin"/> around it). Where the source's mouth is open and
    /// the reference's is not, pose correction stretches the reference's few rows along the line between its lips over
    /// the whole opening: as a sample of the reference's lips they would count many times over (the dark line between
    /// the lips, a gradient lipstick's deep centre) and shift the matched colours. They are never painted (the mouth is
    /// protected). When the source shows no mouth, or under a quarter of the lip pixels would be left, the whole region
    /// is the sample.
    /// </summary>
    private Mat LipSample(Mat refLips, Mat sourceLabels, int side)
    {
        var sample = refLips.Clone();
        using var mouth = FaceRegions.LabelMask(sourceLabels, FaceLabel.Mouth);
        if (Cv2.CountNonZero(mouth) == 0) return sample;
        int r = (int)Math.Round(_options.MouthMargin * side);
        if (r > 0)
        {
            using var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * r + 1, 2 * r + 1));
            Cv2.Dilate(mouth, mouth, kernel);
        }
        using var notMouth = new Mat();
        Cv2.BitwiseNot(mouth, notMouth);
        Cv2.BitwiseAnd(sample, notMouth, sample);
        if (Cv2.CountNonZero(sample) < Cv2.CountNonZero(refLips) / 4)
        {
            sample.Dispose();
            return refLips.Clone();
        }
        return sample;
    }

    /// <summary>
    /// Float blurs in OpenCV reach 4 sigma; an outward feather (2·G * cover) is below 1e-4 from there on. Working
    /// rectangles keep this many sigmas of margin.
    /// </summary>
    private const double Reach = 4;

    /// <summary>
    /// Eye shadow, foundation and blush on the coarse grid. Returns the change as a BGR difference over the grid cells
    /// <paramref name="cells"/> (exactly 0 where nothing changed), or null when no region changed anything.
    /// </summary>
    private Mat? CoarsePass(List<RegionJob> jobs, float blush, BlushSides blushSides, FaceRegions srcRegions, FaceRegions refRegions, Rect work, Size low, int q,
        Mat srcLab, Mat srcSkin, Mat refLab, Mat refSkin, Vec3f skinShift, ISet<MakeupRegion> transferred, out Rect cells)
    {
        cells = default;
        if (jobs.Count == 0 && !(blush > 0)) return null;
        using var delta = new Mat(low, MatType.CV_32FC3, Scalar.All(0));
        using var featherSum = new Mat(low, MatType.CV_32FC1, Scalar.All(0));
        Rect? touched = null; // coarse-grid rectangle the regions changed
        foreach (var job in jobs)
        {
            using var srcCover = job.Region == MakeupRegion.Skin ? srcSkin.Clone() : CoarseGrid.Shrink(srcRegions[job.Region], work, low);
            using var refCover = job.Region == MakeupRegion.Skin ? refSkin.Clone() : CoarseGrid.Shrink(refRegions[job.Region], work, low);
            if (TransferRegion(job, srcLab, srcCover, refLab, refCover, skinShift, delta, featherSum) is { } rect)
            {
                touched = touched is null ? rect : touched.Value | rect;
                transferred.Add(job.Region);
            }
        }
        using var blushChange = blush > 0 ? Blush(blush, blushSides, srcRegions, refRegions, work, low, q, srcLab, srcSkin, refLab, refSkin) : null;
        using var blushed = blushChange is null ? null : ChangedCells(blushChange);
        if (blushed is not null && Cv2.BoundingRect(blushed) is { Width: > 0, Height: > 0 } blushRect)
            touched = touched is null ? blushRect : touched.Value | blushRect;
        if (touched is null) return null;

        // Only the changed part of the grid goes on; one cell of margin keeps the upsampling's interpolation exact.
        cells = new Rect(touched.Value.X - 1, touched.Value.Y - 1, touched.Value.Width + 2, touched.Value.Height + 2)
            & new Rect(0, 0, low.Width, low.Height);
        using var deltaC = delta[cells];
        using var featherSumC = featherSum[cells];
        using var srcLabC = srcLab[cells];

        // Where feathers overlap past 1, share the pixel between the regions rather than stacking their changes.
        using (var norm = new Mat())
        {
            Cv2.Max(featherSumC, 1.0, norm);
            using var norm3 = new Mat();
            Cv2.Merge([norm, norm, norm], norm3);
            Cv2.Divide(deltaC, norm3, deltaC);
        }

        // The blush goes on top of the foundation, not shared with it; its cells count as changed below.
        if (blushChange is not null && blushed is not null)
        {
            using var part = blushChange[cells];
            Cv2.Add(deltaC, part, deltaC);
            using var blushedC = blushed[cells];
            featherSumC.SetTo(Scalar.All(1), blushedC);
        }

        // The change as a BGR difference on the coarse grid, g(base + Δ) − g(base), g = Lab→BGR. The base here is a
        // light blur of the coarse source: Lab→BGR is curved, so linearising it at the grainy pixels themselves would
        // turn their grain into grain of the difference and scramble the source's texture once it is added back.
        using var smoothLab = new Mat();
        Cv2.GaussianBlur(srcLabC, smoothLab, new Size(0, 0), 1.0);
        return LabChangeToBgr(smoothLab, deltaC, featherSumC);
    }

    /// <summary>
    /// The blush's CIELAB change on the whole grid (<see cref="BlushLayer"/>), at <paramref name="strength"/>; null when
    /// the source shows no cheeks (no landmarks) or either face too little plain skin.
    /// </summary>
    private Mat? Blush(float strength, BlushSides sides, FaceRegions srcRegions, FaceRegions refRegions, Rect work, Size low, int q,
        Mat srcLab, Mat srcSkin, Mat refLab, Mat refSkin)
    {
        using var srcCheeks = CoarseGrid.Shrink(srcRegions.Cheeks, work, low);
        if (Cv2.CountNonZero(srcCheeks) == 0) return null;
        using var refCheeks = CoarseGrid.Shrink(refRegions.Cheeks, work, low);
        int side = Math.Max(srcRegions.Skin.Width, srcRegions.Skin.Height);
        return BlushLayer.Change(srcLab, srcSkin, srcCheeks, refLab, refSkin, refCheeks, strength, _options.BlushEvensOwn,
            Math.Max(0.5, _options.BlushSigma * side / q), Math.Max(0.5, _options.CheekFeather * side / q), _options.MaxBlushChange,
            sides.Midline, sides.Scales);
    }

    /// <summary>Where the source's cheeks part on the coarse grid, and the share of the blush each side takes.</summary>
    private readonly record struct BlushSides(float Midline, (float Left, float Right) Scales);

    /// <summary>
    /// The blush each cheek takes (<see cref="BlushLayer.SideScales"/>), from the reference's cheeks in its own crop:
    /// pose correction puts each of its cheeks on the same side of the source's face. Whole on both sides when the
    /// reference's own crop or landmarks are not at hand.
    /// </summary>
    private (float Left, float Right) BlushSideScales(Alignment.AlignedFace? own)
    {
        if (float.IsPositiveInfinity(_options.BlushSideBalance) || own?.Ibug68 is not { Length: 68 } ibug) return (1f, 1f);
        using var regions = FaceRegions.Build(own.Labels, ibug);
        return BlushLayer.SideScales(BlushLayer.SideRedness(own.Image, regions, FaceRegions.MidlineX(ibug)), _options.BlushSideBalance);
    }

    /// <summary>A crop column as a coarse-grid column: cell j's centre lies at work.X + (j + 0.5)·q.</summary>
    private static float GridColumn(float x, Rect work, int q) => (x - work.X) / q - 0.5f;

    /// <summary>The grid cells a three-channel change moves at all (0/255).</summary>
    private static Mat ChangedCells(Mat change)
    {
        using var magnitude = new Mat();
        using (var abs = new Mat())
        {
            Cv2.Absdiff(change, Scalar.All(0), abs);
            var channels = abs.Split();
            try
            {
                Cv2.Add(channels[0], channels[1], magnitude);
                Cv2.Add(magnitude, channels[2], magnitude);
            }
            finally
            {
                foreach (var c in channels) c.Dispose();
            }
        }
        var changed = new Mat();
        Cv2.Compare(magnitude, 0, changed, CmpTypes.GT);
        return changed;
    }

    /// <summary>g(base + Δ) − g(base), g = Lab→BGR, set to exactly 0 where <paramref name="weight"/> is 0.</summary>
    private static Mat LabChangeToBgr(Mat baseLab, Mat deltaLab, Mat weight)
    {
        using var changedLab = new Mat();
        Cv2.Add(baseLab, deltaLab, changedLab);
        using var bgrChanged = new Mat();
        Cv2.CvtColor(changedLab, bgrChanged, ColorConversionCodes.Lab2BGR);
        using var bgrBase = new Mat();
        Cv2.CvtColor(baseLab, bgrBase, ColorConversionCodes.Lab2BGR);
        var bgrDelta = new Mat();
        Cv2.Subtract(bgrChanged, bgrBase, bgrDelta);
        // Unchanged pixels must give exactly 0 (the Lab round trip is only exact to ~1e-6): keep the bytes there.
        using var still = new Mat();
        Cv2.Compare(weight, 0, still, CmpTypes.LE);
        bgrDelta.SetTo(Scalar.All(0), still);
        return bgrDelta;
    }

    /// <summary>A thin region's change at full resolution: BGR difference (already weighted) and its feather weight.</summary>
    private sealed class FineLayer(Rect rect, Mat delta, Mat weight) : IDisposable
    {
        public Rect Rect { get; } = rect;
        public Mat Delta { get; } = delta;   // CV_32FC3, [0, 1] units, weight applied
        public Mat Weight { get; } = weight; // CV_32FC1 in [0, 1]

        public void Dispose()
        {
            Delta.Dispose();
            Weight.Dispose();
        }
    }

    /// <summary>One thin region at full resolution, on its own rectangle; null when it changes nothing.</summary>
    private FineLayer? FinePass(RegionJob job, Mat sourceImage, Mat srcMask, Mat referenceImage, Mat refMask, Vec3f skinShift, int side)
    {
        var size = sourceImage.Size();
        int margin = (int)Math.Ceiling(Reach * job.BaseSigma) + 2;
        var rect = CoarseGrid.BoundingRect(margin, size, srcMask);
        var refRect = CoarseGrid.BoundingRect(margin, size, refMask);
        if (rect.Width == 0 || rect.Height == 0 || refRect.Width == 0 || refRect.Height == 0) return null;

        using var srcBgr = CoarseGrid.Downsample(sourceImage, rect, rect.Size);
        using var srcLab = CoarseGrid.ToLab(srcBgr);
        using var srcCover = CoarseGrid.Shrink(srcMask, rect, rect.Size);
        using var refBgr = CoarseGrid.Downsample(referenceImage, refRect, refRect.Size);
        using var refLab = CoarseGrid.ToLab(refBgr);
        using var refCover = CoarseGrid.Shrink(refMask, refRect, refRect.Size);

        using var delta = new Mat(rect.Size, MatType.CV_32FC3, Scalar.All(0));
        var weight = new Mat(rect.Size, MatType.CV_32FC1, Scalar.All(0));
        try
        {
            if (TransferRegion(job, srcLab, srcCover, refLab, refCover, skinShift, delta, weight) is null)
            {
                weight.Dispose();
                return null;
            }
            // Linearised at a light blur of the source (as on the coarse grid, at the same scale in the photo).
            using var smoothLab = new Mat();
            Cv2.GaussianBlur(srcLab, smoothLab, new Size(0, 0), Math.Max(0.5, side / (double)_options.BaseResolution));
            var bgrDelta = LabChangeToBgr(smoothLab, delta, weight);
            Cv2.Min(weight, 1.0, weight);
            return new FineLayer(rect, bgrDelta, weight);
        }
        catch
        {
            weight.Dispose();
            throw;
        }
    }

    private void AddJob(List<RegionJob> jobs, MakeupRegion region, float strength, double feather, float anchor,
        float amountL, float amountAb, float spatialMix, bool affine, bool outward, int side, int q)
    {
        if (!(strength > 0)) return;
        // Sigmas in grid pixels.
        double featherSigma = Math.Max(0.5, feather * side / q);
        // The base blur must reach at least as far as the feather, so every feathered pixel has a base value.
        double baseSigma = Math.Max(Math.Max(0.5, _options.BaseSigma * side / q), featherSigma);
        jobs.Add(new RegionJob(region, Math.Min(strength, 1f), featherSigma, baseSigma, anchor, amountL, amountAb, spatialMix, affine, outward));
    }

    /// <summary>
    /// A region's transfer settings. Lips and eye shadow feather outward (<see cref="Outward"/>: full strength on the
    /// whole region, fading over the pixels around it); brows and skin feather across their edge (1/2 on it), and the
    /// skin (foundation, <see cref="Affine"/>) gives way to the eye shadow where its feather reaches it.
    /// </summary>
    private sealed record RegionJob(
        MakeupRegion Region, float Strength, double FeatherSigma, double BaseSigma, float Anchor,
        float AmountL, float AmountAb, float SpatialMix, bool Affine, bool Outward);

    /// <summary>
    /// One region on a grid: base layers of both faces, per-channel matching of the source base to the
    /// (skin-anchored) reference base, and the feathered, strength-scaled change added to <paramref name="delta"/>
    /// (the feather weights to <paramref name="featherSum"/>). Returns the grid rectangle it changed, or null when
    /// the reference shows too little of the region. Covers are the region masks area-downsampled: the share of each
    /// grid pixel inside the region.
    /// </summary>
    private Rect? TransferRegion(RegionJob job, Mat srcLab, Mat srcCover, Mat refLab, Mat refCover, Vec3f skinShift,
        Mat delta, Mat featherSum)
    {
        double srcCount = Cv2.Sum(srcCover).Val0;
        double refCount = Cv2.Sum(refCover).Val0;
        if (srcCount < 1 || refCount < Math.Max(4, _options.MinReferenceCoverage * srcCount)) return null;

        int margin = (int)Math.Ceiling(Reach * job.BaseSigma) + 1;
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

        var srcHist = NewLabHistograms();
        var refHist = NewLabHistograms();
        Accumulate(job.Affine ? srcLabR : srcBase, srcCoverR, srcHist);
        Accumulate(job.Affine ? refLabR : refBase, refCoverR, refHist);
        var shift = AnchorShift(job.Anchor, ComplexionWeight(job.Region, skinShift), skinShift, new Vec3d(srcHist[0].Mean(), srcHist[1].Mean(), srcHist[2].Mean()),
            new Vec3d(refHist[0].Mean(), refHist[1].Mean(), refHist[2].Mean()));
        var maps = new ChannelMap[3];
        for (int c = 0; c < 3; c++)
        {
            maps[c] = job.Affine
                ? RobustAffineMap(srcHist[c], refHist[c], shift[c])
                : HistogramMatcher.LimitSlope(HistogramMatcher.Build(srcHist[c], refHist[c], shift[c]), _options.MaxMatchSlope);
        }

        using var feather = new Mat();
        Cv2.GaussianBlur(srcCoverR, feather, new Size(0, 0), job.FeatherSigma);
        if (job.Outward) SpreadOutward(feather);

        using var deltaR = delta[rect];
        using var featherSumR = featherSum[rect];
        var offset = new Point(rect.X - refRect.X, rect.Y - refRect.Y);
        AccumulateDelta(job, srcBase, srcSupport, refBase, refSupport, offset, maps, shift, feather, deltaR, featherSumR);
        return rect;
    }

    /// <summary>
    /// Lipstick, eye shadow: a blurred cover (G * cover) made into the outward feather min(1, 2·G * cover), in place:
    /// 1 on the whole region (the blur is 1/2 on its edge), fading to 0 over ~3 sigma outside. A blur alone would
    /// leave a thin region (lips) well under full strength.
    /// </summary>
    private static void SpreadOutward(Mat blurredCover)
    {
        Cv2.Multiply(blurredCover, 2.0, blurredCover);
        Cv2.Min(blurredCover, 1.0, blurredCover);
    }

    /// <summary>
    /// How far a region's colours are placed on the source's own skin rather than taken as they are
    /// (<see cref="ComplexionOptions.Weight"/> of the skins' lightness gap), for the regions whose colour as it is carries
    /// the reference's complexion. The eye band is mostly skin: both ways. A parsed brow is hairs with the skin between
    /// them, and the hairs are darker than the skin on any face: copied as they are onto a darker face, the reference's
    /// lighter skin between the hairs made pale patches of the brows (stop 50: on CV400's 190 pairs whose skins are 20
    /// or more apart, a median -36% away from the reference's look on own skin); onto a lighter face they come out
    /// darker than the source's own, in the direction brow makeup goes, where placing them on the lighter skin would
    /// lighten them past the source's own brows into grey. So brows follow the complexion onto darker faces only.
    /// Lipstick is the product's own colour and never follows.
    /// </summary>
    private float ComplexionWeight(MakeupRegion region, Vec3f skinShift) => region switch
    {
        MakeupRegion.Eyes => _options.Complexion.Weight(Math.Abs(skinShift.Item0)),
        // skinShift is source minus reference: below 0 the source's skin is the darker.
        MakeupRegion.Brows when skinShift.Item0 < 0 => _options.Complexion.Weight(-skinShift.Item0),
        _ => 0f,
    };

    /// <summary>
    /// The shift a region's reference colours take from the skins' difference: <paramref name="anchor"/> of it in
    /// lightness and anchor · AnchorChromaShare in a*b*, limited by <see cref="LimitAnchor"/> against the region's
    /// source and reference means. A region that follows the complexion (<see cref="ComplexionWeight"/>) blends that shift with
    /// the whole difference, by that weight: on faces of different complexions it then keeps what the makeup
    /// adds to the reference's skin, put on the source's. Shared by the transfer pass and the mean correction, so both
    /// aim at one colour.
    /// </summary>
    private Vec3f AnchorShift(float anchor, float complexionWeight, Vec3f skinShift, Vec3d sourceMean, Vec3d referenceMean)
    {
        float chroma = anchor * _options.AnchorChromaShare;
        var shift = new Vec3f(anchor * skinShift.Item0, chroma * skinShift.Item1, chroma * skinShift.Item2);
        if (anchor > 0) shift = LimitAnchor(shift, sourceMean, referenceMean, _options.AnchorLimit);
        float w = complexionWeight;
        if (w <= 0) return shift;
        float c = _options.Complexion.ChromaShare;
        return new Vec3f(
            (1 - w) * shift.Item0 + w * skinShift.Item0,
            (1 - w) * shift.Item1 + w * c * skinShift.Item1,
            (1 - w) * shift.Item2 + w * c * skinShift.Item2);
    }

    /// <summary>
    /// The skin anchor's shift, shortened so that it moves the reference region's mean colour by at most
    /// <paramref name="limit"/> times the region's own colour difference (source mean to reference mean), both in
    /// CIEDE2000. The anchor adapts the makeup to the source's complexion; where the two skins differ much more than
    /// the two regions do (a light eye shadow, a lipstick close to the source's own lips), the full shift would
    /// outweigh the makeup and move the region away from the reference's colour, even past the source's, instead of
    /// toward it. CIEDE2000 rather than CIELAB distance: the shift is mostly lightness and the makeup mostly chroma,
    /// which CIELAB distance weighs alike and the eye does not.
    /// </summary>
    private static Vec3f LimitAnchor(Vec3f shift, Vec3d s, Vec3d r, double limit)
    {
        double allowed = limit * Ciede2000.Delta(s, r);
        double Moved(double k) => Ciede2000.Delta(r, new Vec3d(r.Item0 + k * shift.Item0, r.Item1 + k * shift.Item1, r.Item2 + k * shift.Item2));
        if (Moved(1) <= allowed) return shift;
        // The distance grows monotonically with k along the shift: bisect for the longest shift allowed.
        double lo = 0, hi = 1;
        for (int i = 0; i < 20; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (Moved(mid) <= allowed) lo = mid; else hi = mid;
        }
        float f = (float)lo;
        return new Vec3f(f * shift.Item0, f * shift.Item1, f * shift.Item2);
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
        // The foundation gives way to the makeup regions already accumulated (their feathers outside their regions).
        bool yields = job.Affine;
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
                if (yields) w *= 1 - Math.Min(1f, fs[x]);
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
        var s = CoarseGrid.WeightedMean(srcLab, srcSkin, out double sw);
        var r = CoarseGrid.WeightedMean(refLab, refSkin, out double rw);
        if (sw < 16 || rw < 16) return default;
        return new Vec3f((float)(s.Item0 - r.Item0), (float)(s.Item1 - r.Item1), (float)(s.Item2 - r.Item2));
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
