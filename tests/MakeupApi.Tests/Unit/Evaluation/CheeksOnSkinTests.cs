using MakeupApi.Evaluation;
using MakeupApi.Transfer.Classical;
using OpenCvSharp;
using static MakeupApi.Tests.Unit.Transfer.TransferTestImages;

namespace MakeupApi.Tests.Unit.Evaluation;

/// <summary><see cref="PairEvaluation.CheeksOnSkin"/> on drawn faces with the drawing's landmarks.</summary>
public sealed class CheeksOnSkinTests
{
    private static readonly Scalar Pink = new(165, 150, 240);

    [Fact]
    public void An_output_wearing_the_reference_blush_has_moved_most_of_the_way_and_the_bare_source_none()
    {
        var (source, labels) = DrawnFace(256, Bare);
        var (reference, refLabels) = DrawnFace(256, MadeUp);
        PaintBlush(reference, refLabels, Pink);
        using var output = source.Clone();
        PaintBlush(output, labels, Pink);
        using (source) using (labels) using (reference) using (refLabels)
        using (var regions = FaceRegions.Build(labels, DrawnLandmarks(256)))
        using (var refRegions = FaceRegions.Build(refLabels, DrawnLandmarks(256)))
        {
            var unchanged = PairEvaluation.CheeksOnSkin(source, regions, source, reference, refRegions)!.Value;
            Assert.True(unchanged.Before > 3, $"the blush is {unchanged.Before:F1} dE from the bare cheeks");
            Assert.Equal(0, unchanged.Fraction, 6);
            // The same pink on the output's cheeks, though its skin differs from the reference's (Bare vs MadeUp).
            var blushed = PairEvaluation.CheeksOnSkin(source, regions, output, reference, refRegions)!.Value;
            Assert.True(blushed.Fraction > 0.6, $"moved {blushed.Fraction:P0}");
        }
    }

    [Fact]
    public void Without_landmarks_there_are_no_cheeks_to_measure()
    {
        var (source, labels) = DrawnFace(256, Bare);
        using (source) using (labels)
        using (var regions = FaceRegions.Build(labels, null))
        {
            Assert.Null(PairEvaluation.CheeksOnSkin(source, regions, source, source, regions));
        }
    }
}
