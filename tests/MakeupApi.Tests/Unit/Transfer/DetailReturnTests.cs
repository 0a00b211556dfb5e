using MakeupApi.Transfer.Classical;
using MakeupApi.Transfer.Generator;
using OpenCvSharp;

namespace MakeupApi.Tests.Unit.Transfer;

/// <summary>
/// How the generator's change reaches the working-size crop (<see cref="DetailReturn"/>), on synthetic images: a
/// source with fine texture, and a "network output" that differs from the source's round trip by a smooth colour
/// change, a fine lightness pattern or a fine hue pattern. Measured in CIELAB against a naive per-pixel expectation.
/// </summary>
public sealed class DetailReturnTests
{
    private const int Size = 128;
    private const double Sigma = 2;

    [Fact]
    public void Without_a_change_the_source_comes_back_with_its_own_detail()
    {
        using var source = TransferTestImages.TexturedSkin(Size);
        using var roundTrip = Blurred(source);
        using var result = DetailReturn.Compose(source, roundTrip, roundTrip, NoLips(), Sigma);
        // Within half a level of 255: the change is zero, and what is left is OpenCV's float BGR -> Lab -> BGR round
        // trip (about a third of a level here), so the 8-bit output is the source's byte or its neighbour.
        Assert.True(MaxAbsDiff(result, source) < 0.5, $"largest difference {MaxAbsDiff(result, source)}");
    }

    [Fact]
    public void A_smooth_colour_change_arrives_whole()
    {
        using var source = TransferTestImages.TexturedSkin(Size);
        using var roundTrip = Blurred(source);
        using var upscaled = ShiftedLab(roundTrip, (x, y) => (-8, 12, 6));
        using var result = DetailReturn.Compose(source, upscaled, roundTrip, NoLips(), Sigma);
        var (dL, da, db) = MeanLabDifference(result, source, Interior());
        Assert.Equal(-8, dL, 0.3);
        Assert.Equal(12, da, 0.3);
        Assert.Equal(6, db, 0.3);
    }

    [Fact]
    public void A_pixel_fine_lightness_pattern_is_smoothed_away_off_the_lips_and_kept_on_them()
    {
        using var source = TransferTestImages.TexturedSkin(Size);
        using var roundTrip = Blurred(source);
        // A checkerboard of +-6 L*: texture finer than one network pixel.
        using var upscaled = ShiftedLab(roundTrip, (x, y) => (((x + y) & 1) == 0 ? 6 : -6, 0, 0));
        using var lips = new Mat(Size, Size, MatType.CV_8UC1, Scalar.All(0));
        lips.Rectangle(new Rect(Size / 2, 0, Size / 2, Size), Scalar.All(255), -1);
        using var result = DetailReturn.Compose(source, upscaled, roundTrip, lips, Sigma);

        double off = CheckerAmplitude(result, source, new Rect(8, 8, Size / 2 - 24, Size - 16));
        double on = CheckerAmplitude(result, source, new Rect(Size / 2 + 8, 8, Size / 2 - 16, Size - 16));
        Assert.True(off < 0.6, $"off the lips the pattern kept {off:F2} of its 6 L* amplitude");
        Assert.True(on > 5.4, $"on the lips the pattern kept only {on:F2} of its 6 L* amplitude");
    }

    [Fact]
    public void A_pixel_fine_hue_pattern_is_kept_everywhere()
    {
        using var source = TransferTestImages.TexturedSkin(Size);
        using var roundTrip = Blurred(source);
        using var upscaled = ShiftedLab(roundTrip, (x, y) => (0, ((x + y) & 1) == 0 ? 8 : -8, 0));
        using var result = DetailReturn.Compose(source, upscaled, roundTrip, NoLips(), Sigma);
        using var resultLab = Lab(result);
        using var sourceLab = Lab(source);
        double sum = 0;
        int n = 0;
        foreach (var (x, y) in Points(Interior()))
        {
            double d = resultLab.At<Vec3f>(y, x).Item1 - sourceLab.At<Vec3f>(y, x).Item1;
            sum += ((x + y) & 1) == 0 ? d : -d;
            n++;
        }
        Assert.InRange(sum / n, 7.0, 9.0);
    }

    private static Rect Interior() => new(8, 8, Size - 16, Size - 16);

    private static Mat NoLips() => new(Size, Size, MatType.CV_8UC1, Scalar.All(0));

    private static Mat Blurred(Mat image)
    {
        var blurred = new Mat();
        Cv2.GaussianBlur(image, blurred, new OpenCvSharp.Size(0, 0), 2);
        return blurred;
    }

    private static Mat Lab(Mat bgr255) => Ciede2000.ToLab(bgr255);

    /// <summary><paramref name="bgr255"/> with a per-pixel CIELAB shift, float BGR 0..255.</summary>
    private static Mat ShiftedLab(Mat bgr255, Func<int, int, (double L, double A, double B)> shift)
    {
        using var lab = Lab(bgr255);
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
            {
                var p = lab.At<Vec3f>(y, x);
                var (l, a, b) = shift(x, y);
                lab.Set(y, x, new Vec3f(p.Item0 + (float)l, p.Item1 + (float)a, p.Item2 + (float)b));
            }
        using var unit = new Mat();
        Cv2.CvtColor(lab, unit, ColorConversionCodes.Lab2BGR);
        var result = new Mat();
        unit.ConvertTo(result, MatType.CV_32FC3, 255.0);
        return result;
    }

    private static IEnumerable<(int X, int Y)> Points(Rect rect)
    {
        for (int y = rect.Top; y < rect.Bottom; y++)
            for (int x = rect.Left; x < rect.Right; x++)
                yield return (x, y);
    }

    private static (double L, double A, double B) MeanLabDifference(Mat a, Mat b, Rect rect)
    {
        using var la = Lab(a);
        using var lb = Lab(b);
        double l = 0, aa = 0, bb = 0;
        int n = 0;
        foreach (var (x, y) in Points(rect))
        {
            var p = la.At<Vec3f>(y, x);
            var q = lb.At<Vec3f>(y, x);
            l += p.Item0 - q.Item0; aa += p.Item1 - q.Item1; bb += p.Item2 - q.Item2;
            n++;
        }
        return (l / n, aa / n, bb / n);
    }

    /// <summary>The checkerboard's lightness amplitude left in result - source: the mean of +-(L difference).</summary>
    private static double CheckerAmplitude(Mat result, Mat source, Rect rect)
    {
        using var lr = Lab(result);
        using var ls = Lab(source);
        double sum = 0;
        int n = 0;
        foreach (var (x, y) in Points(rect))
        {
            double d = lr.At<Vec3f>(y, x).Item0 - ls.At<Vec3f>(y, x).Item0;
            sum += ((x + y) & 1) == 0 ? d : -d;
            n++;
        }
        return sum / n;
    }

    private static double MaxAbsDiff(Mat a, Mat b)
    {
        using var diff = new Mat();
        Cv2.Absdiff(a, b, diff);
        Cv2.MinMaxLoc(diff.Reshape(1), out _, out double max);
        return max;
    }
}
