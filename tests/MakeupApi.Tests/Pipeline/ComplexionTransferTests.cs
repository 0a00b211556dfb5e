using MakeupApi.Evaluation;
using MakeupApi.Tests.Support;
using MakeupApi.Transfer;
using MakeupApi.Transfer.Classical;
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
    /// Over the pairs whose skins differ by at least <see cref="ClassicalEngineOptions.ComplexionGapFull"/> in
    /// lightness, the band moves at least the eye-shadow promise's own 40% toward the reference's look on own skin, as a
    /// median: a fraction of a small "before" distance swings far either way on single pairs. Before stop 48 the engine
    /// moved it away from that look on such pairs (CV400's 180: median -94%); with the band placed on the source's
    /// skin, 56% there. Pairs whose bands differ by under <see cref="TransferBehaviourTests.MinMeaningfulDifference"/>
    /// are left out, as there.
    /// </summary>
    [Fact]
    public void On_faces_much_darker_or_lighter_than_the_reference_the_eye_shadow_moves_toward_the_references_look_on_the_sources_own_skin()
    {
        // Every 40th HELEN face with every 18th reference of the makeup set (4 looks), both spread evenly, not picked.
        var sources = Directory.EnumerateFiles(TestPhotos.HelenFolder, "*.jpg").Order(StringComparer.Ordinal)
            .Where((_, i) => i % 40 == 0).ToList();
        var references = fixture.Makeup.Where((_, i) => i % 18 == 0).ToList();
        var notFound = new List<string>();
        var bare = PairEvaluation.Prepare(fixture.Pipeline, fixture.Models.Analyzer, sources, notFound);
        try
        {
            double full = new ClassicalEngineOptions().ComplexionGapFull;
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
        }
        finally
        {
            foreach (var p in bare) p.Dispose();
        }
    }
}
