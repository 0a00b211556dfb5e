using System.Collections.Concurrent;
using MakeupApi.Evaluation;
using MakeupApi.FaceAnalysis.Parsing;
using MakeupApi.Pipeline;
using MakeupApi.Transfer;
using MakeupApi.Transfer.Classical;
using OpenCvSharp;
using Xunit.Abstractions;

namespace MakeupApi.Tests.Pipeline;

/// <summary>
/// The behaviour the service promises, checked on every bare x makeup pair of the shared makeup set (43 x 55 photos)
/// with the classical engine at intensity 1 and default options.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class TransferBehaviourTests(PipelineFixture fixture, ITestOutputHelper output)
{
    // Thresholds from the issue ("Makeup transfer service"), not tuned here.
    private const double MinLipMovement = 0.60;
    private const double MinEyeShadowMovement = 0.40;
    private const double MaxLandmarkDrift = 0.02;

    /// <summary>
    /// A movement fraction is only meaningful when the two regions differ visibly to begin with. Below a CIEDE2000 of
    /// 3 (about one just-noticeable difference, ~2.3 in CIELAB units; Sharma, "Digital Color Imaging Handbook", 2003)
    /// the source region already has the reference's colour, and the pair is counted as such, not as a movement.
    /// </summary>
    private const double MinMeaningfulDifference = 3.0;

    private sealed record PairResult(string Pair, ColourShift? Lips, ColourShift? Eyes, double? Drift, int ChangedOutside);

    [Fact]
    public void Every_pair_moves_lips_60pct_and_eye_shadow_40pct_keeps_landmarks_and_background()
    {
        Assert.Empty(fixture.NotFound); // every photo of the set has its face found
        var results = new ConcurrentBag<PairResult>();
        var pairs = fixture.Bare.SelectMany(s => fixture.Makeup.Select(r => (s, r))).ToList();
        Parallel.ForEach(pairs, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            pair => results.Add(Measure(pair.s, pair.r)));

        var all = results.OrderBy(r => r.Pair, StringComparer.Ordinal).ToList();
        Report("lips", all.Select(r => r.Lips));
        Report("eye shadow", all.Select(r => r.Eyes));
        var drifts = all.Where(r => r.Drift is not null).Select(r => r.Drift!.Value).Order().ToList();
        output.WriteLine($"landmark drift / outer-eye distance: median {Median(drifts):P2}, max {drifts.Max():P2}; " +
                         $"re-detection failed on {all.Count(r => r.Drift is null)} outputs");

        var lipFailures = all.Where(r => Meaningful(r.Lips) && r.Lips!.Value.Fraction < MinLipMovement).ToList();
        var eyeFailures = all.Where(r => Meaningful(r.Eyes) && r.Eyes!.Value.Fraction < MinEyeShadowMovement).ToList();
        var driftFailures = all.Where(r => r.Drift is null or > MaxLandmarkDrift).ToList();
        var outsideFailures = all.Where(r => r.ChangedOutside > 0).ToList();
        foreach (var f in lipFailures.Take(10)) output.WriteLine($"lips below target: {f.Pair} {f.Lips}");
        foreach (var f in eyeFailures.Take(10)) output.WriteLine($"eye shadow below target: {f.Pair} {f.Eyes}");

        Assert.Equal(fixture.Bare.Count * fixture.Makeup.Count, all.Count);
        Assert.True(lipFailures.Count == 0, $"{lipFailures.Count} pairs moved the lips less than {MinLipMovement:P0}");
        Assert.True(eyeFailures.Count == 0, $"{eyeFailures.Count} pairs moved the eye shadow less than {MinEyeShadowMovement:P0}");
        Assert.True(driftFailures.Count == 0, $"{driftFailures.Count} outputs moved landmarks more than {MaxLandmarkDrift:P0} (or lost the face)");
        Assert.True(outsideFailures.Count == 0, $"{outsideFailures.Count} outputs changed pixels outside the dilated face mask");
    }

    private PairResult Measure(PreparedPhoto source, PreparedPhoto reference)
    {
        using var result = fixture.Pipeline.Compose(source.Image, source.Aligned, reference.Aligned, fixture.Classical, RegionStrengths.All, new StageClock());

        // Colour is measured in the source's aligned crop, on the source's own region masks.
        using var resultCrop = new Mat();
        Cv2.WarpAffine(result, resultCrop, source.Aligned.ToCrop, source.Aligned.Image.Size(), InterpolationFlags.Linear, BorderTypes.Replicate);
        var src = source.Aligned; var refr = reference.Aligned;
        using var srcLips = FaceRegions.LabelMask(src.Labels, FaceLabel.UpperLip, FaceLabel.LowerLip);
        using var refLips = FaceRegions.LabelMask(refr.Labels, FaceLabel.UpperLip, FaceLabel.LowerLip);
        using var srcBand = FaceRegions.EyeShadowBand(src.Labels, src.Ibug68);
        using var refBand = FaceRegions.EyeShadowBand(refr.Labels, refr.Ibug68);
        var lips = TransferMetrics.ColourMovement(src.Image, srcLips, resultCrop, refr.Image, refLips);
        var eyes = TransferMetrics.ColourMovement(src.Image, srcBand, resultCrop, refr.Image, refBand);

        // Identity and shape: the face found again on the output keeps its landmarks.
        var again = fixture.Models.Analyzer.FindFaces(result);
        var match = again.OrderBy(f => f.Ibug68[30].DistanceTo(source.Face.Ibug68[30])).FirstOrDefault();
        double? drift = match is null ? null : TransferMetrics.LandmarkDrift(source.Face.Ibug68, match.Ibug68);

        // Background: nothing changes outside the face mask (face labels, dilated by 3% of the crop, in photo pixels).
        using var faceMask = FaceMaskInPhoto(source);
        int changed = TransferMetrics.ChangedPixelsOutside(source.Image, result, faceMask);
        return new PairResult($"{source.Name} x {reference.Name}", lips, eyes, drift, changed);
    }

    private static Mat FaceMaskInPhoto(PreparedPhoto photo)
    {
        var a = photo.Aligned;
        using var face = new Mat();
        Cv2.Compare(a.Labels, Scalar.All(FaceLabel.Background), face, CmpTypes.NE);
        int grow = Math.Max(1, a.Size * 3 / 100);
        using var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * grow + 1, 2 * grow + 1));
        Cv2.Dilate(face, face, kernel);
        var mask = new Mat();
        using var toImage = new Mat();
        Cv2.InvertAffineTransform(a.ToCrop, toImage);
        Cv2.WarpAffine(face, mask, toImage, photo.Image.Size(), InterpolationFlags.Nearest, BorderTypes.Constant, Scalar.All(0));
        return mask;
    }

    private static bool Meaningful(ColourShift? shift) => shift is { } s && s.Before >= MinMeaningfulDifference;

    private void Report(string region, IEnumerable<ColourShift?> shifts)
    {
        var list = shifts.ToList();
        var meaningful = list.Where(Meaningful).Select(s => s!.Value.Fraction).Order().ToList();
        output.WriteLine($"{region}: {meaningful.Count} pairs measured (dE >= {MinMeaningfulDifference}), " +
                         $"{list.Count(s => s is { } v && v.Before < MinMeaningfulDifference)} already alike, {list.Count(s => s is null)} without the region; " +
                         $"movement median {Median(meaningful):P1}, 5th percentile {Percentile(meaningful, 0.05):P1}, min {meaningful.DefaultIfEmpty().Min():P1}");
    }

    private static double Median(IReadOnlyList<double> sorted) => Percentile(sorted, 0.5);

    private static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[(int)Math.Clamp(Math.Round(p * (sorted.Count - 1)), 0, sorted.Count - 1)];
}
