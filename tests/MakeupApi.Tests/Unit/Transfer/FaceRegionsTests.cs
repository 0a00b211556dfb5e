using MakeupApi.FaceAnalysis.Parsing;
using MakeupApi.Transfer.Classical;
using OpenCvSharp;
using static MakeupApi.Tests.Unit.Transfer.TransferTestImages;

namespace MakeupApi.Tests.Unit.Transfer;

public sealed class FaceRegionsTests
{
    [Fact]
    public void EyeBand_LiesOnSkinBetweenEyeAndBrowAndNeverOnTheEyeball()
    {
        var (image, labels) = DrawnFace(256, Bare);
        using (image) using (labels)
        using (var regions = FaceRegions.Build(labels, null))
        using (var skin = Classes(labels, FaceLabel.Skin))
        using (var eyes = Classes(labels, FaceLabel.LeftEye, FaceLabel.RightEye))
        using (var brows = Classes(labels, FaceLabel.LeftBrow, FaceLabel.RightBrow))
        {
            using var outsideSkin = new Mat();
            Cv2.BitwiseNot(skin, outsideSkin);
            Assert.Equal(0, CountAnd(regions.EyeBand, outsideSkin));
            Assert.Equal(0, CountAnd(regions.EyeBand, eyes));
            Assert.Equal(0, CountAnd(regions.EyeBand, brows));
            // The lid between the drawn eye (centre y 112) and brow (y 88) is covered, on both sides.
            Assert.Equal(255, regions.EyeBand.At<byte>(100, 95));
            Assert.Equal(255, regions.EyeBand.At<byte>(100, 161));
            // ... and a margin below the lower lid.
            Assert.Equal(255, regions.EyeBand.At<byte>(123, 95));
            // Not the cheek far below.
            Assert.Equal(0, regions.EyeBand.At<byte>(160, 95));
        }
    }

    [Fact]
    public void Build_GivesDisjointRegions()
    {
        var (image, labels) = DrawnFace(256, Bare);
        using (image) using (labels)
        using (var r = FaceRegions.Build(labels, null))
        {
            var masks = new[] { r.Lips, r.EyeBand, r.Brows, r.Skin, r.Protect };
            for (int i = 0; i < masks.Length; i++)
                for (int j = i + 1; j < masks.Length; j++)
                    Assert.Equal(0, CountAnd(masks[i], masks[j]));
            Assert.True(Cv2.CountNonZero(r.Lips) > 100);
            Assert.True(Cv2.CountNonZero(r.Brows) > 100);
        }
    }

    [Fact]
    public void Build_WithAValidMask_DropsThePixelsOutsideIt()
    {
        var (image, labels) = DrawnFace(256, Bare);
        using (image) using (labels)
        using (var valid = new Mat(labels.Size(), MatType.CV_8UC1, Scalar.All(255)))
        {
            valid[new Rect(0, 0, 128, 256)].SetTo(Scalar.All(0));
            using var r = FaceRegions.Build(labels, null, valid);
            foreach (var m in new[] { r.Lips, r.EyeBand, r.Brows, r.Skin })
            {
                using var left = m[new Rect(0, 0, 128, 256)];
                Assert.Equal(0, Cv2.CountNonZero(left));
            }
        }
    }

    [Fact]
    public void Cheeks_are_plain_skin_on_both_sides_below_the_eyes_and_above_the_mouth_corners_and_empty_without_landmarks()
    {
        var (image, labels) = DrawnFace(256, Bare);
        using (image) using (labels)
        using (var r = FaceRegions.Build(labels, DrawnLandmarks(256)))
        using (var without = FaceRegions.Build(labels, null))
        using (var nose = Classes(labels, FaceLabel.Nose))
        {
            Assert.Equal(0, Cv2.CountNonZero(without.Cheeks));
            using var outsideSkin = new Mat();
            Cv2.Subtract(r.Cheeks, r.Skin, outsideSkin);
            Assert.Equal(0, Cv2.CountNonZero(outsideSkin));
            Assert.Equal(0, CountAnd(r.Cheeks, nose));
            Assert.Equal(0, CountAnd(r.Cheeks, r.EyeBand));
            // Both sides, each a sizeable patch, between the lower lids (y 118) and the mouth's corners (y 185).
            using var left = r.Cheeks[new Rect(0, 0, 128, 256)];
            using var right = r.Cheeks[new Rect(128, 0, 128, 256)];
            Assert.True(Cv2.CountNonZero(left) > 1000 && Cv2.CountNonZero(right) > 1000, $"{Cv2.CountNonZero(left)} and {Cv2.CountNonZero(right)} px");
            var box = Cv2.BoundingRect(r.Cheeks);
            Assert.InRange(box.Top, 110, 140);
            Assert.InRange(box.Bottom, 160, 190);
        }
    }

    private static int CountAnd(Mat a, Mat b)
    {
        using var both = new Mat();
        Cv2.BitwiseAnd(a, b, both);
        return Cv2.CountNonZero(both);
    }
}
