using MakeupApi.Transfer.Classical;
using OpenCvSharp;

namespace MakeupApi.Tests.Unit.Transfer;

public sealed class RegionMeanCorrectionTests
{
    /// <summary>A textured red disc (a lipstick) on a grey background; the texture is seeded, so the scene is fixed.</summary>
    private static (Mat Image, Mat Region, Mat Weight) Scene()
    {
        var image = new Mat(64, 64, MatType.CV_8UC3, new Scalar(128, 128, 128));
        var region = new Mat(64, 64, MatType.CV_8UC1, Scalar.All(0));
        Cv2.Circle(region, new Point(32, 32), 14, Scalar.All(255), -1);
        var texture = new byte[64 * 64 * 3];
        new Random(11).NextBytes(texture);
        for (int i = 0; i < texture.Length; i++) texture[i] = (byte)(texture[i] % 40);
        using var noise = Mat.FromPixelData(64, 64, MatType.CV_8UC3, texture).Clone();
        using var red = new Mat(64, 64, MatType.CV_8UC3, new Scalar(50, 50, 160));
        Cv2.Add(red, noise, red);
        red.CopyTo(image, region);
        var weight = new Mat();
        region.ConvertTo(weight, MatType.CV_32FC1, 1 / 255.0);
        return (image, region, weight);
    }

    [Fact]
    public void Region_mean_reaches_the_target_within_one_unit_and_pixels_without_weight_keep_their_bytes()
    {
        var (image, region, weight) = Scene();
        using (image) using (region) using (weight)
        {
            using var before = image.Clone();
            var start = Ciede2000.MeanLab(image, region)!.Value;
            var target = new Vec3d(start.Item0 - 4, start.Item1 + 4, start.Item2 - 2);

            RegionMeanCorrection.Apply(image, region, weight, target, maxStep: 20);

            // Two rounds on 8-bit pixels: within one CIELAB unit, under half a just-noticeable difference (about
            // 2.3 units; Sharma 2003), of a 6-unit gap.
            var after = Ciede2000.MeanLab(image, region)!.Value;
            Assert.InRange(Math.Abs(after.Item0 - target.Item0), 0, 1.0);
            Assert.InRange(Math.Abs(after.Item1 - target.Item1), 0, 1.0);
            Assert.InRange(Math.Abs(after.Item2 - target.Item2), 0, 1.0);
            using var diff = new Mat();
            Cv2.Absdiff(image, before, diff);
            using var changed = new Mat();
            Cv2.CvtColor(diff, changed, ColorConversionCodes.BGR2GRAY);
            using var outside = new Mat();
            Cv2.BitwiseNot(region, outside);
            using var changedOutside = new Mat();
            Cv2.BitwiseAnd(changed, outside, changedOutside);
            Assert.Equal(0, Cv2.CountNonZero(changedOutside));
        }
    }

    [Fact]
    public void Correction_never_moves_the_mean_further_than_its_cap()
    {
        var (image, region, weight) = Scene();
        using (image) using (region) using (weight)
        {
            var start = Ciede2000.MeanLab(image, region)!.Value;
            var target = new Vec3d(start.Item0 + 40, start.Item1, start.Item2);

            RegionMeanCorrection.Apply(image, region, weight, target, maxStep: 3);

            var after = Ciede2000.MeanLab(image, region)!.Value;
            Assert.InRange(after.Item0 - start.Item0, 1.0, 3.5);
        }
    }
}
