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
    public void A_blush_on_one_cheek_shows_as_a_gap_between_the_sides_and_one_on_both_does_not()
    {
        var (source, labels) = DrawnFace(256, Bare);
        using var both = source.Clone();
        PaintBlush(both, labels, Pink);
        using var one = source.Clone();
        using (var right = one[new Rect(128, 0, 128, 256)])
        using (var blushedRight = both[new Rect(128, 0, 128, 256)])
            blushedRight.CopyTo(right);
        using (source) using (labels)
        using (var regions = FaceRegions.Build(labels, DrawnLandmarks(256)))
        {
            double bothGap = PairEvaluation.CheekSidesGap(source, regions, both, DrawnLandmarks(256))!.Value;
            double oneGap = PairEvaluation.CheekSidesGap(source, regions, one, DrawnLandmarks(256))!.Value;
            // With one cheek blushed, the gap is that cheek's whole change (the other did not change).
            using var rightCheek = regions.Cheeks.Clone();
            using (var leftHalf = rightCheek[new Rect(0, 0, 128, 256)]) leftHalf.SetTo(Scalar.All(0));
            double blushedSide = TransferMetrics.MeanPixelDelta(source, one, rightCheek)!.Value;
            Assert.True(blushedSide > 2, $"the blushed cheek changed {blushedSide:F2} dE on average");
            Assert.Equal(blushedSide, oneGap, 6);
            Assert.True(bothGap < 0.1 * blushedSide, $"blush on both cheeks: gap {bothGap:F2}");
            Assert.Null(PairEvaluation.CheekSidesGap(source, regions, one, null));
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
