using System.Diagnostics;
using MakeupApi.Alignment;
using MakeupApi.FaceAnalysis;
using MakeupApi.FaceAnalysis.Parsing;
using MakeupApi.Pipeline;
using MakeupApi.Transfer;
using MakeupApi.Transfer.Classical;
using OpenCvSharp;

namespace MakeupApi.Evaluation;

/// <summary>A photo decoded, with its largest face found and aligned once, for evaluating many pairs.</summary>
/// <param name="annotatedOpening">Owned: where the photo comes with annotated points and an open mouth, that mouth's
/// opening in photo pixels (<see cref="PairEvaluation.Prepare"/>); otherwise null.</param>
public sealed class PreparedPhoto(string name, Mat image, FaceLandmarks face, AlignedFace aligned, Mat? annotatedOpening = null) : IDisposable
{
    public string Name { get; } = name;
    public Mat Image { get; } = image;
    public FaceLandmarks Face { get; } = face;
    public AlignedFace Aligned { get; } = aligned;
    public Mat? AnnotatedOpening { get; } = annotatedOpening;

    public void Dispose()
    {
        Image.Dispose();
        Aligned.Dispose();
        AnnotatedOpening?.Dispose();
    }
}

/// <summary>Everything measured of one source x reference transfer (see <see cref="PairEvaluation"/>).</summary>
public sealed record PairMeasurement(
    string Source, string Reference,
    ColourShift? Lips, ColourShift? Eyes, ColourShift? Skin, ColourShift? EyesOnSkin, ColourShift? Brows, ColourShift? BrowsOnSkin,
    double? SkinLightnessGap,
    double LipsHistogram, double EyesHistogram, double SkinHistogram,
    double DetailSsim, double? LandmarkDrift, int ChangedOutsideFace, double? ProtectedChange, double? OpeningChange,
    SurroundChange? LipSurround, ColourShift? CheeksOnSkin, double? CheekSidesGap, double Milliseconds);

/// <summary>
/// Mean per-pixel CIEDE2000 of output against source on the skin just outside the lips (<paramref name="Ring"/>) and on
/// the skin away from them (<paramref name="Skin"/>). Foundation changes both alike; lip colour carried onto the skin
/// around the mouth shows as <see cref="Excess"/> above 0.
/// </summary>
public readonly record struct SurroundChange(double Ring, double Skin)
{
    public double Excess => Ring - Skin;
}

/// <summary>
/// Runs the pipeline's per-pair stages (pose correction, engine, colour return, paste back) on prepared photos and
/// measures the result: the shared basis of the pipeline tests and of `makeupapi-cli compare-engines`.
/// </summary>
public static class PairEvaluation
{
    /// <summary>
    /// Indices of <paramref name="limit"/> items spread evenly over <paramref name="count"/>: item i is
    /// floor((i + phase) * count / limit). Phase 0 starts at the first item; phase 0.5 takes the points halfway
    /// between, so a second set of the same size shares no item with the first (while limit &lt;= count / 2), which lets
    /// a score be confirmed on pairs that took no part in choosing what is scored.
    /// </summary>
    public static int[] EvenlySpacedIndices(int count, int limit, double phase = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ThrowIfNotAPhase(phase);
        if (limit >= count) return Enumerable.Range(0, count).ToArray();
        // In doubles i * count is exact and an exact quotient stays exact, so phase 0 is the integer grid
        // floor(i * count / limit) that every earlier measurement used, to the pair.
        return Enumerable.Range(0, limit).Select(i => (int)Math.Floor((i + phase) * count / limit)).ToArray();
    }

    /// <summary>
    /// <paramref name="limit"/> source x reference pairs, as (source, reference) indices, that spread over both sides:
    /// the evenly spaced grid of <see cref="EvenlySpacedIndices"/> over the source-major list of pairs aliases when its
    /// stride is near a multiple of the reference count (220 x 55 pairs, 200 of them: stride 60.5, so only 10 of the
    /// 55 references), which makes two such sets differ more by their references than by what they measure.
    /// Here the pairs are consecutive entries of an enumeration in which both sides cycle: entry j is source j mod S
    /// and reference (j + floor(j / L)) mod R, L = lcm(S, R). Within each run of L entries (source, reference) are
    /// distinct by the Chinese remainder theorem; the shift by floor(j / L) moves each of the gcd(S, R) runs to
    /// another residue of r - s modulo gcd(S, R), so the S * R entries are every pair exactly once. Any run of N
    /// entries uses each source floor(N / S) or ceil(N / S) times, and each reference as evenly to within one inside a
    /// run of L; each crossing into another run of L (or the wrap to entry 0) adds at most one to that spread.
    /// <paramref name="phase"/> starts the run at floor(phase * S * R), so phase 0.5 shares no pair with phase 0 while
    /// limit &lt;= S * R / 2.
    /// </summary>
    public static (int Source, int Reference)[] BalancedPairs(int sources, int references, int limit, double phase = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sources);
        ArgumentOutOfRangeException.ThrowIfNegative(references);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        ThrowIfNotAPhase(phase);
        long total = (long)sources * references;
        if (total == 0) return [];
        long run = (long)sources / GreatestCommonDivisor(sources, references) * references;
        long start = (long)Math.Floor(phase * total);
        return [.. Enumerable.Range(0, (int)Math.Min(limit, total)).Select(i =>
        {
            long j = (start + i) % total;
            return ((int)(j % sources), (int)((j + j / run) % references));
        })];
    }

    private static int GreatestCommonDivisor(int a, int b) => b == 0 ? a : GreatestCommonDivisor(b, a % b);

    // one range test, which NaN fails too
    private static void ThrowIfNotAPhase(double phase)
    {
        if (!(phase >= 0 && phase < 1)) throw new ArgumentOutOfRangeException(nameof(phase), phase, "a phase is from 0 up to, not including, 1");
    }

    public static List<PreparedPhoto> Prepare(MakeupPipeline pipeline, FaceAnalyzer analyzer, IEnumerable<string> paths, List<string> notFound)
    {
        var prepared = new List<PreparedPhoto>();
        foreach (var path in paths)
        {
            var image = Cv2.ImRead(path, ImreadModes.Color);
            var faces = image.Empty() ? [] : analyzer.FindFaces(image);
            if (faces.Count == 0) { notFound.Add(Path.GetFileName(path)); image.Dispose(); continue; }
            prepared.Add(new PreparedPhoto(Path.GetFileNameWithoutExtension(path), image, faces[0], pipeline.AlignAndParse(image, faces[0]),
                AnnotatedOpening(path, image.Size(), faces[0])));
        }
        return prepared;
    }

    /// <summary>
    /// For a photo with 300-W points beside it (HELEN's .pts) whose annotated face is the one transferred (the largest
    /// found) and whose mouth is open (<see cref="MouthOpeningEvaluation.OpenGap"/>): the annotated opening, in photo
    /// pixels. Teeth, tongue and the cavity there are no makeup's, so a transfer should leave them as they were, and the
    /// annotation measures that apart from the parser, whose own masks decide what is painted.
    /// </summary>
    private static Mat? AnnotatedOpening(string imagePath, Size size, FaceLandmarks face)
    {
        var pts = Path.ChangeExtension(imagePath, ".pts");
        if (!File.Exists(pts)) return null;
        var points = HelenDataset.ReadPts(pts, pixelOrigin: 1.0);
        if (MouthOpeningEvaluation.Gap(points) < MouthOpeningEvaluation.OpenGap || !MouthOpeningEvaluation.IsAnnotatedFace(face, points)) return null;
        return MouthOpeningEvaluation.OpeningMask(size, points);
    }

    /// <summary>
    /// The two faces' skin lightness gap (|ΔL*| of the plain skins' means, <see cref="TransferMetrics.LightnessGap"/>)
    /// as <see cref="Measure"/> reports it, without running an engine: for choosing the pairs of different complexions.
    /// </summary>
    public static double? SkinLightnessGap(PreparedPhoto source, PreparedPhoto reference)
    {
        using var srcRegions = FaceRegions.Build(source.Aligned.Labels, source.Aligned.Ibug68);
        using var refRegions = FaceRegions.Build(reference.Aligned.Labels, reference.Aligned.Ibug68);
        return TransferMetrics.LightnessGap(source.Aligned.Image, srcRegions.Skin, reference.Aligned.Image, refRegions.Skin);
    }

    /// <summary>Transfers and measures one pair; <paramref name="keepOutput"/> receives the output photo (caller disposes) when set.</summary>
    public static PairMeasurement Measure(MakeupPipeline pipeline, FaceAnalyzer analyzer, IMakeupEngine engine,
        PreparedPhoto source, PreparedPhoto reference, RegionStrengths strengths, Action<Mat>? keepOutput = null)
    {
        long start = Stopwatch.GetTimestamp();
        var result = pipeline.Compose(source.Image, source.Aligned, reference.Aligned, engine, strengths, new StageClock());
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        try
        {
            // Colour is measured in the source's aligned crop, on the source's own region masks, against the
            // reference's regions in its own crop.
            var src = source.Aligned;
            var refr = reference.Aligned;
            using var resultCrop = new Mat();
            Cv2.WarpAffine(result, resultCrop, src.ToCrop, src.Image.Size(), InterpolationFlags.Linear, BorderTypes.Replicate);
            using var srcRegions = FaceRegions.Build(src.Labels, src.Ibug68);
            using var refRegions = FaceRegions.Build(refr.Labels, refr.Ibug68);
            var lips = TransferMetrics.ColourMovement(src.Image, srcRegions.Lips, resultCrop, refr.Image, refRegions.Lips);
            var eyes = TransferMetrics.ColourMovement(src.Image, srcRegions.EyeBand, resultCrop, refr.Image, refRegions.EyeBand);
            var skin = TransferMetrics.ColourMovement(src.Image, srcRegions.Skin, resultCrop, refr.Image, refRegions.Skin);
            var eyesOnSkin = TransferMetrics.ColourMovementOnSkin(src.Image, srcRegions.EyeBand, srcRegions.Skin, resultCrop, refr.Image, refRegions.EyeBand, refRegions.Skin);
            var brows = TransferMetrics.ColourMovement(src.Image, srcRegions.Brows, resultCrop, refr.Image, refRegions.Brows);
            var browsOnSkin = TransferMetrics.ColourMovementOnSkin(src.Image, srcRegions.Brows, srcRegions.Skin, resultCrop, refr.Image, refRegions.Brows, refRegions.Skin);
            double? skinLightnessGap = TransferMetrics.LightnessGap(src.Image, srcRegions.Skin, refr.Image, refRegions.Skin);
            double lipsHist = TransferMetrics.ChromaHistogramDistance(resultCrop, srcRegions.Lips, refr.Image, refRegions.Lips);
            double eyesHist = TransferMetrics.ChromaHistogramDistance(resultCrop, srcRegions.EyeBand, refr.Image, refRegions.EyeBand);
            double skinHist = TransferMetrics.ChromaHistogramDistance(resultCrop, srcRegions.Skin, refr.Image, refRegions.Skin);
            using var face = FaceMaskInCrop(src, grow: 0);
            double ssim = TransferMetrics.DetailSsim(src.Image, resultCrop, face);
            // What no makeup may touch (eyeballs, the mouth's interior, glasses) stays the source's.
            double? kept = TransferMetrics.MeanPixelDelta(src.Image, resultCrop, srcRegions.Protect);
            // The same for an annotated open mouth, in photo pixels: how much the teeth and the cavity changed.
            double? opening = source.AnnotatedOpening is { } annotated ? TransferMetrics.MeanPixelDelta(source.Image, result, annotated) : null;
            var lipSurround = LipSurround(src.Image, resultCrop, srcRegions);
            var cheeksOnSkin = CheeksOnSkin(src.Image, srcRegions, resultCrop, refr.Image, refRegions);
            double? cheekSidesGap = CheekSidesGap(src.Image, srcRegions, resultCrop, src.Ibug68);

            // Identity and shape: the face found again on the output keeps its landmarks.
            var again = analyzer.FindFaces(result);
            var match = again.OrderBy(f => f.Ibug68[30].DistanceTo(source.Face.Ibug68[30])).FirstOrDefault();
            double? drift = match is null ? null : TransferMetrics.LandmarkDrift(source.Face.Ibug68, match.Ibug68);

            // Background: nothing changes outside the face mask (face labels grown by 3% of the crop), in photo pixels.
            using var faceInPhoto = FaceMaskInPhoto(source);
            int changed = TransferMetrics.ChangedPixelsOutside(source.Image, result, faceInPhoto);
            return new PairMeasurement(source.Name, reference.Name, lips, eyes, skin, eyesOnSkin, brows, browsOnSkin, skinLightnessGap, lipsHist, eyesHist, skinHist, ssim, drift, changed, kept, opening, lipSurround, cheeksOnSkin, cheekSidesGap, ms);
        }
        finally
        {
            if (keepOutput is not null) keepOutput(result);
            else result.Dispose();
        }
    }

    /// <summary>
    /// <see cref="SurroundChange"/> of one transfer, in the source's crop. The ring is the skin from 1.5% to 4% of the
    /// crop's side outside the lips: past the engines' lip feather (a Gaussian of 1% of the side, RegionWeights, which
    /// leaves under 7% of the lip's weight at 1.5%), and within the reach of a lip line drawn too wide. The rest of the
    /// skin, further than 4% from the lips, is the baseline. Null when either area is empty.
    /// </summary>
    internal static SurroundChange? LipSurround(Mat source, Mat output, FaceRegions regions)
    {
        int side = source.Width;
        using var near = regions.Lips.Clone();
        Grow(near, Math.Max(1, (int)Math.Round(side * 0.015)));
        using var far = regions.Lips.Clone();
        Grow(far, Math.Max(2, (int)Math.Round(side * 0.04)));
        using var ring = new Mat();
        Cv2.Subtract(far, near, ring);
        Cv2.BitwiseAnd(ring, regions.Skin, ring);
        using var away = new Mat();
        Cv2.Subtract(regions.Skin, far, away);
        return TransferMetrics.MeanPixelDelta(source, output, ring) is { } r && TransferMetrics.MeanPixelDelta(source, output, away) is { } s
            ? new SurroundChange(r, s)
            : null;
    }

    /// <summary>
    /// Blush: the cheeks' colour against the rest of each face's skin (<see cref="TransferMetrics.ColourMovementOnSkin"/>
    /// with the cheek zones, <see cref="FaceRegions.Cheeks"/>, and the skin outside them): what the makeup adds to the
    /// cheeks, whatever the two complexions. Each face's zones come from its own landmarks. Null when a mask is empty.
    /// </summary>
    internal static ColourShift? CheeksOnSkin(Mat source, FaceRegions sourceRegions, Mat output, Mat reference, FaceRegions referenceRegions)
    {
        using var sourceRest = new Mat();
        Cv2.Subtract(sourceRegions.Skin, sourceRegions.Cheeks, sourceRest);
        using var referenceRest = new Mat();
        Cv2.Subtract(referenceRegions.Skin, referenceRegions.Cheeks, referenceRest);
        return TransferMetrics.ColourMovementOnSkin(source, sourceRegions.Cheeks, sourceRest, output, reference, referenceRegions.Cheeks, referenceRest);
    }

    /// <summary>
    /// How much more one cheek changed than the other: the mean per-pixel CIEDE2000 of output against source on each
    /// cheek zone (<see cref="FaceRegions.Cheeks"/>, split at <see cref="FaceRegions.MidlineX"/>), the larger less the
    /// smaller. A blush goes on both cheeks alike; a patch on one cheek (a reference's shade taken for blush) shows here,
    /// where <see cref="CheeksOnSkin"/>, a mean over both, can even count it as progress. Null without landmarks or when
    /// either side shows no cheek.
    /// </summary>
    internal static double? CheekSidesGap(Mat source, FaceRegions sourceRegions, Mat output, IReadOnlyList<Point2f>? ibug68)
    {
        if (ibug68 is not { Count: 68 }) return null;
        var (left, right) = FaceRegions.SplitAt(sourceRegions.Cheeks, (int)Math.Round(FaceRegions.MidlineX(ibug68)));
        using (left)
        using (right)
            return TransferMetrics.MeanPixelDelta(source, output, left) is { } l && TransferMetrics.MeanPixelDelta(source, output, right) is { } r
                ? Math.Abs(l - r)
                : null;
    }

    /// <summary>Dilates a 0/255 mask in place by a disc of <paramref name="radius"/> px.</summary>
    private static void Grow(Mat mask, int radius)
    {
        using var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * radius + 1, 2 * radius + 1));
        Cv2.Dilate(mask, mask, kernel);
    }

    /// <summary>Every labelled face pixel (any class but background, hair, neck, cloth), grown by <paramref name="grow"/> px.</summary>
    public static Mat FaceMaskInCrop(AlignedFace face, int grow)
    {
        var mask = new Mat();
        Cv2.Compare(face.Labels, Scalar.All(FaceLabel.Background), mask, CmpTypes.NE);
        using (var notFace = FaceRegions.LabelMask(face.Labels, FaceLabel.Hair, FaceLabel.Neck, FaceLabel.Cloth, FaceLabel.Hat))
        {
            using var keep = new Mat();
            Cv2.BitwiseNot(notFace, keep);
            Cv2.BitwiseAnd(mask, keep, mask);
        }
        if (grow > 0) Grow(mask, grow);
        return mask;
    }

    /// <summary>The face mask grown by 3% of the crop side, mapped into photo pixels: the area a transfer may change.</summary>
    public static Mat FaceMaskInPhoto(PreparedPhoto photo)
    {
        var a = photo.Aligned;
        using var face = new Mat();
        Cv2.Compare(a.Labels, Scalar.All(FaceLabel.Background), face, CmpTypes.NE);
        Grow(face, Math.Max(1, a.Size * 3 / 100));
        var mask = new Mat();
        using var toImage = new Mat();
        Cv2.InvertAffineTransform(a.ToCrop, toImage);
        Cv2.WarpAffine(face, mask, toImage, photo.Image.Size(), InterpolationFlags.Nearest, BorderTypes.Constant, Scalar.All(0));
        return mask;
    }
}
