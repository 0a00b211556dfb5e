using MakeupApi.Evaluation;
using MakeupApi.Tests.Support;
using MakeupApi.Transfer;
using MakeupApi.Transfer.Classical;
using OpenCvSharp;
using Xunit.Abstractions;

namespace MakeupApi.Tests.Pipeline;

/// <summary>
/// Blush (README, "Blush"): the classical engine puts the colour the reference's cheeks have over its plain skin on
/// the source's cheeks (<see cref="BlushLayer"/>), measured against each face's own skin
/// (<see cref="PairEvaluation.CheeksOnSkin"/>).
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class BlushTransferTests(PipelineFixture fixture, ITestOutputHelper output)
{
    /// <summary>
    /// Over the makeup set's pairs whose cheeks differ by at least <see cref="TransferBehaviourTests.MinMeaningfulDifference"/>
    /// on own skin, the cheeks move toward the reference's as a median. On the 100 pairs of "Engines compared" the
    /// engine without blush moved them -0.7% (it never aimed at them) and with it 17.6%; the bar sits halfway, at 8%.
    /// The measure takes lightness too, which the blush leaves to the foundation: a cheek's lightness against the
    /// forehead and nose is mostly the light's angle, so no engine should reach 100% on it.
    /// </summary>
    [Fact]
    public void On_the_makeup_set_the_cheeks_move_toward_the_references_blush_on_the_sources_own_skin_as_a_median()
    {
        var moved = fixture.ClassicalPairs.Where(p => p.CheeksOnSkin is { } c && c.Before >= TransferBehaviourTests.MinMeaningfulDifference)
            .Select(p => p.CheeksOnSkin!.Value.Fraction).Order().ToList();
        double median = TransferBehaviourTests.Percentile(moved, 0.5);
        output.WriteLine($"{moved.Count} of {fixture.ClassicalPairs.Count} pairs with cheeks apart: moved median {median:P1}, " +
                         $"5th pct {TransferBehaviourTests.Percentile(moved, 0.05):P1}, 95th pct {TransferBehaviourTests.Percentile(moved, 0.95):P1}");
        Assert.True(moved.Count >= 500, $"Expected at least 500 pairs whose cheeks differ, found {moved.Count}.");
        Assert.True(median >= 0.08, $"The cheeks moved a median {median:P1} toward the reference's blush on own skin.");
    }

    /// <summary>
    /// Photos without blush whose cheeks differ from their plain skin by the light: a dark-skinned man (2065219235_1)
    /// and a woman in warm sunlight (2205474871_1), on three HELEN faces. The first version of the layer (ratios
    /// turned back at the source's lightness, hues within 60 degrees, changes up to 25) turned their cheeks into
    /// orange patches on these six pairs (chosen for that, from UR400's pairs whose cheeks moved furthest from the
    /// reference's: a regression check, not an estimate). The measure is the change on the cheeks above the change on
    /// the rest of the skin (mean per-pixel CIEDE2000 against the source), less the same for the engine without
    /// blush. The first version grew it by 2.55 to 4.74 on these pairs, the shipped one by 0.73 to 2.08: a warm tint
    /// is left, weaker. The bar, <see cref="MaxPatch"/>, lies between the two, on every pair.
    /// </summary>
    [Fact]
    public void References_whose_cheeks_are_lit_not_made_up_put_no_colour_patch_on_the_cheeks()
    {
        string[] sources = ["1962577879_1", "1860419055_1", "2198286445_1"];
        string[] references = ["2065219235_1", "2205474871_1"];
        var notFound = new List<string>();
        var photos = PairEvaluation.Prepare(fixture.Pipeline, fixture.Models.Analyzer,
            sources.Concat(references).Select(n => Path.Combine(TestPhotos.HelenFolder, n + ".jpg")), notFound);
        try
        {
            Assert.Empty(notFound);
            var withoutBlush = new ClassicalMakeupEngine(new ClassicalEngineOptions { BlushAmount = 0 });
            var failures = new List<string>();
            foreach (var s in photos.Where(p => sources.Contains(p.Name)))
            {
                foreach (var r in photos.Where(p => references.Contains(p.Name)))
                {
                    double with = CheekExcess(fixture.Classical, s, r), without = CheekExcess(withoutBlush, s, r);
                    output.WriteLine($"{s.Name} x {r.Name}: cheeks' change above the skin's {without:F2} dE without blush, {with:F2} with it");
                    if (with - without > MaxPatch) failures.Add($"{s.Name} x {r.Name}: {without:F2} -> {with:F2} dE");
                }
            }
            Assert.True(failures.Count == 0, string.Join("; ", failures));
        }
        finally
        {
            foreach (var p in photos) p.Dispose();
        }
    }

    private const double MaxPatch = 2.3;

    /// <summary>
    /// References whose cheeks are unlike, one in shade or sunburnt, the other lit: the girl under a towel
    /// (2115342511_1), the dark-skinned man lit from one side (2065219235_1) and a face with one flushed cheek
    /// (1402640447_1), each on the UR400 source it met there (the three pairs with the largest <see
    /// cref="PairMeasurement.CheekSidesGap"/> among UR400's pairs before the balance: 4.03, 5.25 and 3.63 dE, an
    /// orange patch on one cheek). The balance (<see cref="BlushLayer.SideScales"/>) brought them to 1.94, 2.30 and
    /// 0.02: each must end at most three quarters of its gap without the balance.
    /// </summary>
    [Fact]
    public void A_reference_with_one_red_cheek_puts_less_on_one_source_cheek_than_on_the_other_than_without_the_balance()
    {
        (string Source, string Reference)[] pairs = [("206906451_1", "2115342511_1"), ("1801024299_3", "2065219235_1"), ("122276700_1", "1402640447_1")];
        var notFound = new List<string>();
        var photos = PairEvaluation.Prepare(fixture.Pipeline, fixture.Models.Analyzer,
            pairs.SelectMany(p => new[] { p.Source, p.Reference }).Distinct().Select(TestPhotos.Helen), notFound);
        try
        {
            Assert.Empty(notFound);
            var unbalanced = new ClassicalMakeupEngine(new ClassicalEngineOptions { BlushSideBalance = float.PositiveInfinity });
            var failures = new List<string>();
            foreach (var (sourceName, referenceName) in pairs)
            {
                var s = photos.Single(p => p.Name == sourceName);
                var r = photos.Single(p => p.Name == referenceName);
                double with = PairEvaluation.Measure(fixture.Pipeline, fixture.Models.Analyzer, fixture.Classical, s, r, RegionStrengths.All).CheekSidesGap!.Value;
                double without = PairEvaluation.Measure(fixture.Pipeline, fixture.Models.Analyzer, unbalanced, s, r, RegionStrengths.All).CheekSidesGap!.Value;
                output.WriteLine($"{sourceName} x {referenceName}: one cheek changed {without:F2} dE more than the other without the balance, {with:F2} with it");
                if (with > 0.75 * without) failures.Add($"{sourceName} x {referenceName}: {without:F2} -> {with:F2}");
            }
            Assert.True(failures.Count == 0, string.Join("; ", failures));
        }
        finally
        {
            foreach (var p in photos) p.Dispose();
        }
    }

    /// <summary>Mean per-pixel CIEDE2000 of output against source on the cheeks, less the same on the rest of the skin.</summary>
    private double CheekExcess(IMakeupEngine engine, PreparedPhoto source, PreparedPhoto reference)
    {
        Mat? photo = null;
        PairEvaluation.Measure(fixture.Pipeline, fixture.Models.Analyzer, engine, source, reference, RegionStrengths.All, m => photo = m);
        using (photo)
        using (var crop = new Mat())
        using (var regions = FaceRegions.Build(source.Aligned.Labels, source.Aligned.Ibug68))
        using (var rest = new Mat())
        {
            Cv2.WarpAffine(photo!, crop, source.Aligned.ToCrop, source.Aligned.Image.Size(), InterpolationFlags.Linear, BorderTypes.Replicate);
            Cv2.Subtract(regions.Skin, regions.Cheeks, rest);
            return TransferMetrics.MeanPixelDelta(source.Aligned.Image, crop, regions.Cheeks)!.Value
                   - TransferMetrics.MeanPixelDelta(source.Aligned.Image, crop, rest)!.Value;
        }
    }
}
