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
