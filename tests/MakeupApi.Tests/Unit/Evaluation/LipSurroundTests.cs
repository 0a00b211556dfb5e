using MakeupApi.Evaluation;
using MakeupApi.Transfer.Classical;
using OpenCvSharp;
using static MakeupApi.Tests.Unit.Transfer.TransferTestImages;

namespace MakeupApi.Tests.Unit.Evaluation;

/// <summary>
/// <see cref="PairEvaluation.LipSurround"/> on the drawn face (256 px, lips about 50 px wide): its ring is the skin
/// from 4 to 10 px outside the lips (1.5% and 4% of the side).
/// </summary>
public sealed class LipSurroundTests
{
    [Fact]
    public void An_even_change_of_the_whole_skin_shows_no_excess_round_the_lips()
    {
        var (image, labels) = DrawnFace(256, Bare);
        using (image) using (labels)
        using (var regions = FaceRegions.Build(labels, null))
        {
            using var output = image.Clone();
            using (var shifted = new Mat())
            {
                Cv2.Add(image, new Scalar(6, 0, 12), shifted);
                shifted.CopyTo(output, regions.Skin);
            }
            var change = PairEvaluation.LipSurround(image, output, regions);
            Assert.NotNull(change);
            Assert.True(change.Value.Skin > 3, $"the skin changed {change.Value.Skin:F2} dE");
            Assert.Equal(change.Value.Skin, change.Value.Ring, 0.3);
        }
    }

    [Fact]
    public void Lip_colour_carried_a_few_pixels_past_the_lip_line_shows_as_excess_and_none_past_the_ring()
    {
        var (image, labels) = DrawnFace(256, Bare);
        using (image) using (labels)
        using (var regions = FaceRegions.Build(labels, null))
        {
            // Red painted 8 px beyond the lips onto the skin: into the ring (4-10 px out).
            var near = WithLipColourOnSkin(image, regions, 8);
            Assert.NotNull(near);
            Assert.True(near.Value.Excess > 10, $"the ring changed {near.Value.Ring:F2} dE, the rest of the skin {near.Value.Skin:F2}");

            // Only within 3 px of the lips: the engines' own feather, inside the 4 px the ring leaves out.
            var inside = WithLipColourOnSkin(image, regions, 3);
            Assert.NotNull(inside);
            Assert.Equal(0, inside.Value.Excess, 3);
        }
    }

    /// <summary>The measure of the image with lip red painted on the skin up to <paramref name="reach"/> px from the lips.</summary>
    private static SurroundChange? WithLipColourOnSkin(Mat image, FaceRegions regions, int reach)
    {
        using var painted = Grown(regions.Lips, reach);
        Cv2.BitwiseAnd(painted, regions.Skin, painted);
        using var output = image.Clone();
        output.SetTo(new Scalar(40, 30, 190), painted);
        return PairEvaluation.LipSurround(image, output, regions);
    }

    private static Mat Grown(Mat mask, int radius)
    {
        var grown = new Mat();
        using var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new OpenCvSharp.Size(2 * radius + 1, 2 * radius + 1));
        Cv2.Dilate(mask, grown, kernel);
        return grown;
    }
}
