using MakeupApi.FaceAnalysis.Parsing;
using MakeupApi.Transfer;
using OpenCvSharp;
using static MakeupApi.Tests.Unit.Transfer.TransferTestImages;

namespace MakeupApi.Tests.Unit.Transfer;

public sealed class RegionWeightsTests
{
    [Fact]
    public void Weights_are_zero_on_the_eyeballs_and_the_mouth_interior_while_the_lips_around_the_mouth_keep_full_weight()
    {
        var (image, labels) = DrawnFace(256, Bare);
        using (image) using (labels)
        using (var weight = RegionWeights.Build(labels, [], RegionStrengths.All))
        using (var lips = Classes(labels, FaceLabel.UpperLip, FaceLabel.LowerLip))
        using (var protect = Classes(labels, FaceLabel.LeftEye, FaceLabel.RightEye, FaceLabel.Mouth))
        {
            // The drawn mouth is a 1.5-px line between the lips and each eye sits under its eye band: a feathered
            // edge would reach them at nearly full weight.
            Assert.True(Cv2.CountNonZero(protect) > 100);
            Cv2.MinMaxLoc(weight, out _, out double maxOnProtected, out _, out _, protect);
            Assert.Equal(0, maxOnProtected);
            Cv2.MinMaxLoc(weight, out double minOnLips, out _, out _, out _, lips);
            Assert.Equal(1, minOnLips, 6);
        }
    }

    [Fact]
    public void Weights_follow_each_regions_strength_and_feather_past_its_edge()
    {
        var (image, labels) = DrawnFace(256, Bare);
        using (image) using (labels)
        using (var weight = RegionWeights.Build(labels, [], new RegionStrengths(Lips: 0.5f, Eyes: 0, Brows: 0, Skin: 0)))
        using (var lips = Classes(labels, FaceLabel.UpperLip, FaceLabel.LowerLip))
        {
            Cv2.MinMaxLoc(weight, out double minOnLips, out double maxOnLips, out _, out _, lips);
            Assert.Equal(0.5, minOnLips, 6);
            Assert.Equal(0.5, maxOnLips, 6);
            // Just below the lower lip (its drawn bottom edge at y 196) the weight fades; far from it there is none.
            float below = weight.At<float>(198, 128);
            Assert.InRange(below, 0.01f, 0.49f);
            Assert.Equal(0f, weight.At<float>(100, 95));
        }
    }
}
