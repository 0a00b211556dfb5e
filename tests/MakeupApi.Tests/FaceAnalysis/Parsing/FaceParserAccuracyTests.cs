using MakeupApi.FaceAnalysis;
using MakeupApi.FaceAnalysis.Parsing;
using MakeupApi.Tests.Support;
using Xunit.Abstractions;

namespace MakeupApi.Tests.FaceAnalysis.Parsing;

/// <summary>
/// The parser against the 81 labelled makeup photos (shared data, makeup/parsing: CelebAMask-HQ label maps), with the
/// faces found as the service's wiring finds them (detector and mesh, no iris model). Mean IoU over the photos; brows
/// (2+3) and eyes (4+5) are compared as unions because the labels' left and right are not consistent, lips as 12+13.
/// </summary>
[Collection(ModelCollection.Name)]
public sealed class FaceParserAccuracyTests(ModelFixture models, ITestOutputHelper output)
{
    [Fact]
    public void Parsing_the_labelled_makeup_photos_meets_the_iou_targets()
    {
        var photos = ParsingEvaluation.Load(TestPhotos.SharedDataRoot);
        Assert.True(photos.Count == 81, $"Expected the 81 labelled makeup photos under {TestPhotos.SharedDataRoot}/makeup/parsing, found {photos.Count}.");

        // As MakeupServiceCollectionExtensions.AddFaceAnalysis builds it by default: with the iris model's eyelids.
        var analyzer = models.Analyzer;
        var samples = new List<ParsingSample>();
        try
        {
            var missed = new List<string>();
            foreach (var photo in photos)
            {
                var sample = ParsingEvaluation.Prepare(photo, analyzer);
                if (sample is null) missed.Add(photo.Name); else samples.Add(sample);
            }
            Assert.True(missed.Count == 0, $"No face found in labelled photos: {string.Join(", ", missed)}");

            var meshOnly = ParsingEvaluation.Score(new FaceParser(FaceParserOptions.MeshOnly), samples);
            var report = ParsingEvaluation.Score(new FaceParser(), samples);
            output.WriteLine($"{samples.Count} photos parsed at 512x512");
            output.WriteLine("class      mesh only   shipped   photos");
            for (int c = 0; c < report.Classes.Count; c++)
                output.WriteLine($"{report.Classes[c].Name,-9} {meshOnly.MeanIoU[c],9:F4} {report.MeanIoU[c],9:F4} {report.Photos[c],8}");
            output.WriteLine($"mean parse time {report.MeanParseMilliseconds:F2} ms (mesh polygons only {meshOnly.MeanParseMilliseconds:F2} ms)");

            Assert.True(report[ParsingEvaluation.Lips] >= 0.75, $"lips IoU {report[ParsingEvaluation.Lips]:F4} < 0.75");
            Assert.True(report[ParsingEvaluation.Brows] >= 0.55, $"brows IoU {report[ParsingEvaluation.Brows]:F4} < 0.55");
            Assert.True(report[ParsingEvaluation.Eyes] >= 0.60, $"eyes IoU {report[ParsingEvaluation.Eyes]:F4} < 0.60");
            Assert.True(report[ParsingEvaluation.Skin] >= 0.80, $"skin IoU {report[ParsingEvaluation.Skin]:F4} < 0.80");
        }
        finally
        {
            foreach (var s in samples) s.Dispose();
        }
    }
}
