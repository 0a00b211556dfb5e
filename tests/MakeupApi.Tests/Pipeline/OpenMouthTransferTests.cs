using MakeupApi.Evaluation;
using MakeupApi.Pipeline;
using MakeupApi.Tests.Support;
using MakeupApi.Transfer;
using MakeupApi.Transfer.Classical;
using OpenCvSharp;
using Xunit.Abstractions;

namespace MakeupApi.Tests.Pipeline;

/// <summary>
/// Engines paint what the parser calls lips, so teeth parsed as lips get lipstick (README, "Open mouths"). HELEN's
/// annotated inner lip line bounds an open mouth's teeth, tongue and cavity apart from the parser, and
/// <see cref="PairEvaluation"/> measures how much a transfer changed them there (compare-engines' opening_de).
/// </summary>
[Collection(ModelCollection.Name)]
public sealed class OpenMouthTransferTests(ModelFixture models, ITestOutputHelper output)
{
    /// <summary>
    /// Median per-pixel CIEDE2000 between output and source over the annotated opening, on the 126 pairs below: 16.2
    /// with the parser before stop 47, which called two thirds of a colour open mouth's opening lips; 6.8 since (on
    /// CV400's 143 open-mouthed pairs, 12.1 and 5.8). What is left is mostly the lips' feathered edge, the coarse 8-point
    /// polygon and red tongues, which stay lips. Under 10 keeps well clear of the old parser.
    /// </summary>
    private const double MaxMedianOpeningChange = 10;

    private static readonly string[] References = ["vFG56", "XYH-109", "00078"];

    [Fact]
    public void Only_a_photo_with_annotated_points_and_an_open_mouth_gets_an_annotated_opening()
    {
        var helen = HelenDataset.Load(TestPhotos.HelenFolder);
        var open = helen.First(f => MouthOpeningEvaluation.Gap(f.Points) >= 0.2);
        var closed = helen.First(f => MouthOpeningEvaluation.Gap(f.Points) < 0.02);
        var pipeline = MakeupPipeline.Create(models.Analyzer, [new ClassicalMakeupEngine()]);
        var notFound = new List<string>();
        var photos = PairEvaluation.Prepare(pipeline, models.Analyzer, [open.ImagePath, closed.ImagePath, TestPhotos.MakeupSet("non-makeup")[0]], notFound);
        try
        {
            Assert.Empty(notFound);
            var opening = photos[0].AnnotatedOpening;
            Assert.NotNull(opening);
            Assert.Equal(photos[0].Image.Size(), opening.Size());
            // The mask is the inner lip polygon: inside the face, about the size the annotation gives it.
            using var expected = MouthOpeningEvaluation.OpeningMask(photos[0].Image.Size(), open.Points);
            Assert.Equal(Cv2.CountNonZero(expected), Cv2.CountNonZero(opening));
            Assert.True(Cv2.CountNonZero(opening) > 50, $"{open.Name}: an open mouth's opening of {Cv2.CountNonZero(opening)} px");
            // The closed mouth's face is the one transferred, so it is the closed mouth that leaves it without.
            Assert.True(MouthOpeningEvaluation.IsAnnotatedFace(photos[1].Face, closed.Points));
            Assert.Null(photos[1].AnnotatedOpening);
            Assert.Null(photos[2].AnnotatedOpening);
        }
        finally
        {
            foreach (var p in photos) p.Dispose();
        }
    }

    [Fact]
    public void The_classical_engine_leaves_most_of_an_open_mouths_teeth_and_cavity_as_they_were()
    {
        // Every 8th of HELEN's 358 open mouths, with three lipsticks: pink, plum and red.
        var sources = HelenDataset.Load(TestPhotos.HelenFolder)
            .Where(f => MouthOpeningEvaluation.Gap(f.Points) >= MouthOpeningEvaluation.OpenGap)
            .Where((_, i) => i % 8 == 0).Select(f => f.ImagePath).ToList();
        var makeup = TestPhotos.MakeupSet("makeup");
        var references = References.Select(name => makeup.Single(p => Path.GetFileNameWithoutExtension(p) == name)).ToList();

        var engine = new ClassicalMakeupEngine();
        var pipeline = MakeupPipeline.Create(models.Analyzer, [engine]);
        var notFound = new List<string>();
        var bare = PairEvaluation.Prepare(pipeline, models.Analyzer, sources, notFound);
        var painted = PairEvaluation.Prepare(pipeline, models.Analyzer, references, notFound);
        try
        {
            Assert.Empty(notFound);
            var annotated = bare.Where(p => p.AnnotatedOpening is not null).ToList();
            Assert.True(annotated.Count >= 35, $"Expected most of the {bare.Count} open mouths to be the transferred face, found {annotated.Count}.");
            var changes = annotated.SelectMany(s => painted.Select(r =>
                PairEvaluation.Measure(pipeline, models.Analyzer, engine, s, r, RegionStrengths.All).OpeningChange!.Value)).Order().ToList();
            double median = changes[changes.Count / 2];
            output.WriteLine($"{annotated.Count} open mouths x {painted.Count} references: opening dE to the source median {median:F2}, max {changes[^1]:F2}");
            Assert.True(median < MaxMedianOpeningChange, $"The annotated opening changed by a median dE of {median:F2} ({changes.Count} pairs)");
        }
        finally
        {
            foreach (var p in bare.Concat(painted)) p.Dispose();
        }
    }
}
