using MakeupApi.Evaluation;
using MakeupApi.Tests.Support;

namespace MakeupApi.Tests.Pipeline;

/// <summary>
/// References without colour (black-and-white and toned photos) are refused as reference_without_colour
/// (PipelineOptions.MinReferenceColourfulness, 3.2); every photo of the makeup set passes.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class ReferenceColourTests(PipelineFixture fixture)
{
    [Fact]
    public void Every_makeup_set_photo_is_accepted_as_a_reference()
    {
        // Measured 5.43 and up on the makeup references, 4.04 and up on the bare faces.
        var refused = fixture.Makeup.Concat(fixture.Bare).Where(p => !fixture.Pipeline.AcceptsAsReference(p.Aligned)).Select(p => p.Name).ToList();
        Assert.True(fixture.Makeup.Count == 55 && fixture.Bare.Count == 43, $"expected the whole makeup set, got {fixture.Makeup.Count} + {fixture.Bare.Count}");
        Assert.Empty(refused);
    }

    /// <summary>
    /// HELEN photos: black-and-white (1801024299_1, 1507775914_1), sepia (155093594_1, 2093465867_1, 2210716757_1) and
    /// blue-toned (1142136696_1), all measured 2.5 or below; and colour photos that are warm, dim or desaturated, which
    /// measured lowest of the colour ones (3.79 to 4.06): a tanned man in orange light, a young man in a dim room.
    /// </summary>
    [Fact]
    public void Black_and_white_and_toned_photos_are_refused_and_dim_colour_photos_are_not()
    {
        string[] withoutColour = ["1801024299_1", "1507775914_1", "155093594_1", "2093465867_1", "2210716757_1", "1142136696_1"];
        string[] colour = ["2204502578_1", "2203696399_2", "1698375922_1"];
        var notFound = new List<string>();
        var photos = PairEvaluation.Prepare(fixture.Pipeline, fixture.Models.Analyzer,
            withoutColour.Concat(colour).Select(TestPhotos.Helen), notFound);
        try
        {
            Assert.Empty(notFound);
            var accepted = photos.Where(p => fixture.Pipeline.AcceptsAsReference(p.Aligned)).Select(p => p.Name).Order().ToList();
            Assert.Equal(colour.Order().ToList(), accepted);
        }
        finally
        {
            foreach (var p in photos) p.Dispose();
        }
    }
}
