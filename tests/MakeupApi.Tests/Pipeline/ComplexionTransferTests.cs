using MakeupApi.Evaluation;
using MakeupApi.Onnx;
using MakeupApi.Tests.Support;
using MakeupApi.Transfer;
using MakeupApi.Transfer.Generator;
using Xunit.Abstractions;

namespace MakeupApi.Tests.Pipeline;

/// <summary>
/// Eye shadow between faces of different complexions (README, "Eye shadow on a different complexion"). The makeup set
/// is one complexion group; HELEN's in-the-wild faces give skins far darker and lighter than its references'. On such
/// a pair the eye band's colour as it is carries the reference's skin: copying it gave a dark-skinned source pale rings
/// round the eyes. The measure here is the band against each face's own skin
/// (<see cref="TransferMetrics.ColourMovementOnSkin"/>): what the makeup adds to the reference's skin, and whether the
/// source's band now adds the same to the source's.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class ComplexionTransferTests(PipelineFixture fixture, ITestOutputHelper output)
{
    /// <summary>
    /// Over the pairs whose skins differ by at least <see cref="ComplexionOptions.GapFull"/> in
    /// lightness, the band moves at least the eye-shadow promise's own 40% toward the reference's look on own skin, as a
    /// median: a fraction of a small "before" distance swings far either way on single pairs. Before stop 48 the engine
    /// moved it away from that look on such pairs (CV400's 180: median -94%); with the band placed on the source's
    /// skin, 56% there. Pairs whose bands differ by under <see cref="TransferBehaviourTests.MinMeaningfulDifference"/>
    /// are left out, as there.
    /// <para>The same pairs check the brows (stop 50), which follow the complexion onto darker faces: HELEN's far
    /// sources are darker than the makeup set's references (on CV400, 189 of its 190 far pairs). Copied as they are,
    /// the brows moved away from the reference's look on own skin there (median -36%: pale patches on dark faces);
    /// placed on the source's skin, 65% toward it. The bar sits halfway, at 15%.</para>
    /// </summary>
    [Fact]
    public void On_faces_much_darker_or_lighter_than_the_reference_the_eye_shadow_and_brows_move_toward_the_references_look_on_the_sources_own_skin()
    {
        var (bare, references, notFound) = PrepareFaces();
        try
        {
            double full = new ComplexionOptions().GapFull;
            var pairs = bare.SelectMany(s => references.Select(r =>
                PairEvaluation.Measure(fixture.Pipeline, fixture.Models.Analyzer, fixture.Classical, s, r, RegionStrengths.All))).ToList();
            var far = pairs.Where(p => p.SkinLightnessGap >= full && p.EyesOnSkin is { } e && e.Before >= TransferBehaviourTests.MinMeaningfulDifference).ToList();
            var moved = far.Select(p => p.EyesOnSkin!.Value.Fraction).Order().ToList();
            Assert.True(moved.Count >= 20, $"Expected at least 20 pairs with a skin lightness gap of {full} or more, found {moved.Count} of {pairs.Count}.");
            double median = TransferBehaviourTests.Percentile(moved, 0.5);
            var asItIs = far.Where(p => p.Eyes is { } e && e.Before >= TransferBehaviourTests.MinMeaningfulDifference).Select(p => p.Eyes!.Value.Fraction).Order().ToList();
            output.WriteLine($"{bare.Count} HELEN faces ({notFound.Count} without a face) x {references.Count} references: {far.Count} pairs with a skin " +
                             $"lightness gap >= {full}; eye band on own skin moved median {median:P1}, 5th pct {TransferBehaviourTests.Percentile(moved, 0.05):P1}; " +
                             $"as it is, median {TransferBehaviourTests.Percentile(asItIs, 0.5):P1}");
            Assert.True(median >= TransferBehaviourTests.MinEyeShadowMovement, $"The eye band moved {median:P1} toward the reference's look on own skin (median of {moved.Count} pairs).");
            var brows = far.Where(p => p.BrowsOnSkin is { } b && b.Before >= TransferBehaviourTests.MinMeaningfulDifference).Select(p => p.BrowsOnSkin!.Value.Fraction).Order().ToList();
            double browsMedian = TransferBehaviourTests.Percentile(brows, 0.5);
            output.WriteLine($"brows on own skin moved median {browsMedian:P1} over {brows.Count} pairs");
            Assert.True(browsMedian >= 0.15, $"The brows moved {browsMedian:P1} toward the reference's look on own skin (median of {brows.Count} pairs).");
        }
        finally
        {
            foreach (var p in bare) p.Dispose();
        }
    }

    /// <summary>
    /// The committed generator on the same far pairs, with and without <see cref="ComplexionShift"/>: without it, the
    /// generator brought a much darker face's skin most of the way to the reference's (CV400's 190 far pairs: median
    /// 49%) and moved the eye band away from the reference's look on own skin (-24%); with it, -0.5% and 32%. The
    /// bars sit halfway between those two measurements: skin moved at most 25%, eye band on own skin at least 4%, as
    /// medians; and the eye band must move further with the shift than without on these pairs (here, without it, the
    /// band already moved 15%, over the 4% bar: the skin bar and this comparison are what the old engine fails). The
    /// generator is undertrained (README, "Generator") and not the default engine, so this guards the complexion
    /// handling, not the classical engine's eye-shadow promise. The same run checks the skin's texture
    /// (<see cref="DetailReturn"/>): median detail SSIM at least 0.95.
    /// </summary>
    [Fact]
    public void On_faces_much_darker_or_lighter_than_the_reference_the_generator_keeps_the_sources_skin_tone_and_puts_the_eye_shadow_on_it()
    {
        var (bare, references, notFound) = PrepareFaces();
        var models = fixture.Models.Models;
        var path = models.Resolve(models.Generator);
        using var shifting = new GeneratorMakeupEngine(new OnnxModel(GeneratorMakeupEngine.ModelName, path, models));
        using var asItIs = new GeneratorMakeupEngine(new OnnxModel(GeneratorMakeupEngine.ModelName, path, models), ComplexionOptions.Off);
        try
        {
            double full = new ComplexionOptions().GapFull;
            var far = bare.SelectMany(s => references.Select(r => (s, r)))
                .Where(pair => PairEvaluation.SkinLightnessGap(pair.s, pair.r) >= full).ToList();
            Assert.True(far.Count >= 20, $"Expected at least 20 pairs with a skin lightness gap of {full} or more, found {far.Count}.");
            (double Skin, double Eyes, double Detail) Medians(IMakeupEngine engine)
            {
                var pairs = far.Select(pair => PairEvaluation.Measure(fixture.Pipeline, fixture.Models.Analyzer, engine, pair.s, pair.r, RegionStrengths.All)).ToList();
                var skin = pairs.Where(p => p.Skin is { } k && k.Before >= TransferBehaviourTests.MinMeaningfulDifference).Select(p => p.Skin!.Value.Fraction).Order().ToList();
                var eyes = pairs.Where(p => p.EyesOnSkin is { } e && e.Before >= TransferBehaviourTests.MinMeaningfulDifference).Select(p => p.EyesOnSkin!.Value.Fraction).Order().ToList();
                var detail = pairs.Select(p => p.DetailSsim).Order().ToList();
                return (TransferBehaviourTests.Percentile(skin, 0.5), TransferBehaviourTests.Percentile(eyes, 0.5), TransferBehaviourTests.Percentile(detail, 0.5));
            }
            var before = Medians(asItIs);
            var now = Medians(shifting);
            output.WriteLine($"{bare.Count} HELEN faces ({notFound.Count} without a face) x {references.Count} references: {far.Count} pairs with a skin " +
                             $"lightness gap >= {full}. Generator, medians: skin moved toward the reference's {before.Skin:P1} -> {now.Skin:P1}; " +
                             $"eye band on own skin moved {before.Eyes:P1} -> {now.Eyes:P1} (without -> with the complexion shift); detail SSIM {now.Detail:F3}");
            Assert.True(now.Skin <= 0.25, $"The generator moved the skin {now.Skin:P1} of the way to the reference's (median of {far.Count} pairs).");
            Assert.True(now.Eyes >= 0.04, $"The generator moved the eye band {now.Eyes:P1} toward the reference's look on own skin (median of {far.Count} pairs).");
            Assert.True(now.Eyes > before.Eyes, $"With the complexion shift the eye band moved {now.Eyes:P1} on own skin, without it {before.Eyes:P1}.");
            // The source's own texture stays (DetailReturn): on CV400's and UR400's far pairs the median detail SSIM was
            // 0.924 and 0.922 before it, 0.971 and 0.969 after; the bar sits between.
            Assert.True(now.Detail >= 0.95, $"The generator kept a median detail SSIM of {now.Detail:F3} against the source.");
        }
        finally
        {
            foreach (var p in bare) p.Dispose();
        }
    }

    /// <summary>Every 40th HELEN face with every 18th reference of the makeup set (4 looks), both spread evenly, not picked.</summary>
    private (List<PreparedPhoto> Bare, List<PreparedPhoto> References, List<string> NotFound) PrepareFaces()
    {
        var sources = Directory.EnumerateFiles(TestPhotos.HelenFolder, "*.jpg").Order(StringComparer.Ordinal)
            .Where((_, i) => i % 40 == 0).ToList();
        var references = fixture.Makeup.Where((_, i) => i % 18 == 0).ToList();
        var notFound = new List<string>();
        return (PairEvaluation.Prepare(fixture.Pipeline, fixture.Models.Analyzer, sources, notFound), references, notFound);
    }
}
