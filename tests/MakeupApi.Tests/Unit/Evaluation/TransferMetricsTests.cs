using MakeupApi.Evaluation;
using MakeupApi.Transfer.Classical;
using OpenCvSharp;

namespace MakeupApi.Tests.Unit.Evaluation;

public sealed class TransferMetricsTests
{
    [Fact]
    public void Mean_pixel_delta_equals_a_naive_per_pixel_CIEDE2000_average_over_the_mask()
    {
        const int width = 64, height = 48;
        using var a = RandomImage(width, height, seed: 1);
        using var b = RandomImage(width, height, seed: 2);
        // A mask away from the origin, so the measure works on a sub-rectangle of the images.
        using var mask = new Mat(height, width, MatType.CV_8UC1, Scalar.All(0));
        mask.Circle(new Point(40, 30), 9, Scalar.All(255), -1);
        mask.Set(5, 3, (byte)255);

        double? fast = TransferMetrics.MeanPixelDelta(a, b, mask);

        using var labA = Ciede2000.ToLab(a);
        using var labB = Ciede2000.ToLab(b);
        double sum = 0;
        int count = 0;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                if (mask.At<byte>(y, x) == 0) continue;
                var p = labA.At<Vec3f>(y, x);
                var q = labB.At<Vec3f>(y, x);
                sum += Ciede2000.Delta(p.Item0, p.Item1, p.Item2, q.Item0, q.Item1, q.Item2);
                count++;
            }
        Assert.NotNull(fast);
        Assert.True(sum / count > 5, "random images differ");
        Assert.Equal(sum / count, fast.Value, 9);
    }

    [Fact]
    public void Mean_pixel_delta_is_zero_for_the_same_image_and_null_for_an_empty_mask()
    {
        using var a = RandomImage(32, 32, seed: 3);
        using var full = new Mat(32, 32, MatType.CV_8UC1, Scalar.All(255));
        using var empty = new Mat(32, 32, MatType.CV_8UC1, Scalar.All(0));
        using var copy = a.Clone();
        Assert.Equal(0, TransferMetrics.MeanPixelDelta(a, copy, full));
        Assert.Null(TransferMetrics.MeanPixelDelta(a, copy, empty));
    }

    [Fact]
    public void Eye_shadow_on_each_faces_own_skin_rewards_the_makeup_added_to_the_skin_and_not_the_reference_skin_copied()
    {
        // Left half skin, right half eye band. The reference: light skin (L* 75), its eye band 20 darker. The source:
        // dark skin (L* 35), its eye band the skin's colour.
        using var region = HalfMask(right: true);
        using var skin = HalfMask(right: false);
        using var reference = TwoTone(75, 55);
        using var source = TwoTone(35, 35);
        // One output darkens the source's eye band by the reference's 20; the other copies the reference's band as it is.
        using var darkened = TwoTone(35, 15);
        using var copied = TwoTone(35, 55);

        var onSkinDarkened = TransferMetrics.ColourMovementOnSkin(source, region, skin, darkened, reference, region, skin)!.Value;
        var onSkinCopied = TransferMetrics.ColourMovementOnSkin(source, region, skin, copied, reference, region, skin)!.Value;
        var asIsDarkened = TransferMetrics.ColourMovement(source, region, darkened, reference, region)!.Value;
        var asIsCopied = TransferMetrics.ColourMovement(source, region, copied, reference, region)!.Value;

        // Before: the source's band, put on the reference's skin, is the reference's skin: 20 L* lighter than its band.
        Assert.InRange(onSkinDarkened.Before, 10, 30);
        Assert.InRange(onSkinDarkened.Fraction, 0.9, 1.0);   // the look, on the source's own skin
        Assert.True(onSkinCopied.Fraction < 0, $"copying the reference's light band onto dark skin moved {onSkinCopied.Fraction:P0} on the skin");
        Assert.InRange(asIsCopied.Fraction, 0.9, 1.0);        // as it is, the copy reaches the reference's colour...
        Assert.True(asIsDarkened.Fraction < 0, $"{asIsDarkened.Fraction:P0}"); // ...and the darkened band moves away from it
    }

    [Fact]
    public void Lightness_gap_is_the_absolute_L_difference_of_the_two_regions_means_and_null_for_an_empty_mask()
    {
        using var skin = HalfMask(right: false);
        using var light = TwoTone(70, 50);
        using var dark = TwoTone(35, 15);
        using var empty = new Mat(16, 32, MatType.CV_8UC1, Scalar.All(0));
        // 8-bit Lab rounds L* to 100/255 steps.
        Assert.InRange(TransferMetrics.LightnessGap(light, skin, dark, skin)!.Value, 34.5, 35.5);
        Assert.Equal(TransferMetrics.LightnessGap(light, skin, dark, skin), TransferMetrics.LightnessGap(dark, skin, light, skin));
        Assert.Null(TransferMetrics.LightnessGap(light, empty, dark, skin));
    }

    private static Mat HalfMask(bool right)
    {
        var mask = new Mat(16, 32, MatType.CV_8UC1, Scalar.All(0));
        using var half = new Mat(mask, new Rect(right ? 16 : 0, 0, 16, 16));
        half.SetTo(Scalar.All(255));
        return mask;
    }

    /// <summary>A grey-brown image: CIELAB L* <paramref name="skinL"/> on the left half, <paramref name="bandL"/> on the right (a* 12, b* 16).</summary>
    private static Mat TwoTone(double skinL, double bandL)
    {
        // 8-bit Lab: L* scaled by 255/100, a* and b* offset by 128
        using var lab = new Mat(16, 32, MatType.CV_8UC3, new Scalar(skinL * 255 / 100, 140, 144));
        using (var band = new Mat(lab, new Rect(16, 0, 16, 16))) band.SetTo(new Scalar(bandL * 255 / 100, 140, 144));
        var bgr = new Mat();
        Cv2.CvtColor(lab, bgr, ColorConversionCodes.Lab2BGR);
        return bgr;
    }

    private static Mat RandomImage(int width, int height, int seed)
    {
        var bytes = new byte[width * height * 3];
        new Random(seed).NextBytes(bytes);
        using var flat = new Mat(height, width * 3, MatType.CV_8UC1);
        flat.SetArray(bytes);
        using var view = flat.Reshape(3, height);
        return view.Clone();
    }
}
