using MakeupApi.Evaluation;
using MakeupApi.FaceAnalysis.Parsing;
using MakeupApi.Tests.Support;
using Xunit.Abstractions;

namespace MakeupApi.Tests.FaceAnalysis.Parsing;

/// <summary>
/// The parser's open mouth on HELEN photos, whose 68 annotated points bound the opening (inner lip line) and the lips
/// (<see cref="MouthOpeningEvaluation"/>). What an engine paints is what the parser calls lips, so teeth parsed as lips
/// get lipstick. Measured with `makeupapi-cli eval-mouth` (README, Face analysis).
/// </summary>
[Collection(ModelCollection.Name)]
public sealed class MouthOpeningTests(ModelFixture models, ITestOutputHelper output)
{
    /// <summary>
    /// In a grey photo the lips have no chroma, and until stop 46 every opening test failed: 87.1% of the annotated
    /// opening of HELEN's 40 grey open mouths was parsed as lips. Stop 46 decides grey photos by lightness (34.6%), and
    /// stop 47's weaker evidence inside the mesh's opening takes the few whose lips keep some colour further: 30.7%.
    /// In colour photos, tuned on the makeup set's mostly closed mouths, the test called 68.6% of the opening of HELEN's
    /// 318 colour open mouths lips, so their teeth got lipstick; since stop 47, 36.1%. Less than half is the promise kept.
    /// </summary>
    private const double MaxOpeningParsedAsLips = 0.5;

    /// <summary>
    /// ...while their lips stay lips: since stop 47, 8.1% of the grey open mouths' annotated lips and 6.0% of the colour
    /// ones' are parsed as mouth (0.8% and 3.3% before stops 46 and 47; part of it is the coarse 8-point annotation,
    /// whose inner polygon leaves some teeth outside it).
    /// </summary>
    private const double MaxLipsParsedAsMouth = 0.10;

    [Fact]
    public void On_open_mouths_in_grey_and_colour_photos_less_than_half_of_the_annotated_opening_is_parsed_as_lips_and_the_lips_stay_lips()
    {
        var open = HelenDataset.Load(TestPhotos.HelenFolder).Where(f => MouthOpeningEvaluation.Gap(f.Points) >= MouthOpeningEvaluation.OpenGap).ToList();
        Assert.True(open.Count > 300, $"Expected HELEN's 358 open mouths, found {open.Count}.");

        var parser = new FaceParser();
        var grey = new List<MouthMeasure>();
        var colour = new List<MouthMeasure>();
        var missed = new List<string>();
        foreach (var face in open)
        {
            var measured = MouthOpeningEvaluation.MeasurePhoto(models.Analyzer, face, [parser], 512);
            if (measured is null) missed.Add(face.Name);
            else (measured.Grey ? grey : colour).Add(measured.Parsers[0]);
        }
        Assert.True(missed.Count == 0, $"Annotated face not found: {string.Join(", ", missed)}");
        Assert.True(grey.Count >= 30, $"Expected HELEN's 40 grey open mouths, found {grey.Count}.");
        Assert.True(colour.Count >= 300, $"Expected HELEN's 318 colour open mouths, found {colour.Count}.");

        foreach (var (kind, mouths) in new[] { ("grey", grey), ("colour", colour) })
        {
            double lipsOnOpening = mouths.Average(m => m.LipsOnOpening);
            double mouthOnLips = mouths.Average(m => m.MouthOnLips);
            output.WriteLine($"{mouths.Count} {kind} open mouths: opening parsed as lips {lipsOnOpening:F4}, as mouth {mouths.Average(m => m.MouthOnOpening):F4}; lips parsed as mouth {mouthOnLips:F4}");
            Assert.True(lipsOnOpening < MaxOpeningParsedAsLips, $"{lipsOnOpening:P1} of the {kind} open mouths' annotated opening is parsed as lips");
            Assert.True(mouthOnLips < MaxLipsParsedAsMouth, $"{mouthOnLips:P1} of the {kind} open mouths' annotated lips is parsed as mouth");
        }
    }
}
