using MakeupApi.Transfer.Generator;
using OpenCvSharp;

namespace MakeupApi.Tests.Unit.Transfer;

/// <summary>
/// The generator's skin change as one smooth layer (<see cref="FoundationLayer"/>), on synthetic crops: a textured
/// source, a blob of skin and a "lip" beside it, and results that change them in known ways. The fast layer (a
/// normalised convolution taken at a reduced size) is checked against a naive one at full size.
/// </summary>
public sealed class FoundationLayerTests
{
    private const int Size = 128;
    private const double Sigma = 8;
    private const double EdgeSigma = 1.5;

    [Fact]
    public void An_even_change_over_the_skin_passes_whole()
    {
        using var source = TransferTestImages.TexturedSkin(Size);
        using var skin = SkinBlob();
        using var result = WithChange(source, (x, y, onSkin) => onSkin ? new Vec3f(10, -5, 20) : default, skin);
        using var layered = FoundationLayer.Smooth(source, result, skin, Sigma, EdgeSigma);
        // Deep inside the skin (3 feathers from its edge) the mean of an even change is that change.
        using var inner = Eroded(skin, (int)Math.Ceiling(3 * EdgeSigma));
        var mean = MeanChange(layered, source, inner);
        Assert.Equal(10, mean.Item0, 0.05);
        Assert.Equal(-5, mean.Item1, 0.05);
        Assert.Equal(20, mean.Item2, 0.05);
    }

    [Fact]
    public void Lip_colour_carried_onto_a_narrow_band_of_skin_is_thinned_and_the_lips_keep_theirs()
    {
        using var source = TransferTestImages.TexturedSkin(Size);
        using var skin = new Mat(Size, Size, MatType.CV_8UC1, Scalar.All(255));
        var lipBox = new Rect(44, 60, 40, 12);
        skin.Rectangle(lipBox, Scalar.All(0), -1);
        using var lips = new Mat(Size, Size, MatType.CV_8UC1, Scalar.All(0));
        lips.Rectangle(lipBox, Scalar.All(255), -1);
        // The "network" paints the lips red and carries that red 4 px beyond them, onto the skin.
        var spillBox = new Rect(lipBox.X - 4, lipBox.Y - 4, lipBox.Width + 8, lipBox.Height + 8);
        var red = new Vec3f(-30, -30, 60);
        using var result = WithChange(source, (x, y, _) => spillBox.Contains(x, y) ? red : default, null);
        using var layered = FoundationLayer.Smooth(source, result, skin, Sigma, EdgeSigma);

        using var ring = new Mat(Size, Size, MatType.CV_8UC1, Scalar.All(0));
        ring.Rectangle(spillBox, Scalar.All(255), -1);
        ring.Rectangle(lipBox, Scalar.All(0), -1);
        double before = MeanChange(result, source, ring).Item2;
        double after = MeanChange(layered, source, ring).Item2;
        Assert.True(after < 0.5 * before, $"the band kept {after:F1} of its red change {before:F1}");
        // Off the skin (the lips) the change is the network's, to the float.
        Assert.Equal(0, MaxAbsDiff(layered, result, lips), 3);
    }

    [Fact]
    public void The_fast_layer_matches_a_naive_normalised_convolution()
    {
        using var source = TransferTestImages.TexturedSkin(Size);
        using var skin = SkinBlob();
        // A change with structure at every scale: a gradient, a bump and pixel noise.
        var random = new Random(11);
        using var result = WithChange(source, (x, y, _) =>
        {
            float bump = 25f * MathF.Exp(-((x - 70) * (x - 70) + (y - 58) * (y - 58)) / 60f);
            float noise = random.Next(-8, 9);
            return new Vec3f(0.2f * x + bump + noise, -0.1f * y + noise, bump - noise);
        }, null);

        using var fast = FoundationLayer.Smooth(source, result, skin, Sigma, EdgeSigma);
        using var naive = NaiveLayer(source, result, skin, Sigma, EdgeSigma);
        // The fast layer samples the mean every sigma / 4 px (h = 2 px here) and interpolates it linearly, whose error
        // is at most h^2 / 8 times the field's second derivative; a Gaussian mean of sigma 8 of this change (at most
        // about 25 levels across a sigma) bends by under 25 / 8^2 = 0.4 levels per px^2, so the bound is 0.2 levels
        // (0.25 with the reduced size's area sampling of the skin's edge). Measured: 0.07.
        Assert.True(MaxAbsDiff(fast, naive, skin) < 0.25, $"largest difference {MaxAbsDiff(fast, naive, skin):F3}");
    }

    /// <summary>
    /// The layer by its definition: on each pixel the Gaussian-weighted mean of the change over the skin pixels, blended
    /// in by the skin's inward feather. The skin lies more than 4 sigma from the image's border, so OpenCV's reflected
    /// border plays no part.
    /// </summary>
    private static Mat NaiveLayer(Mat source, Mat result, Mat skin, double sigma, double edgeSigma)
    {
        var skinPoints = new List<(int X, int Y, Vec3f Change)>();
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
                if (skin.At<byte>(y, x) != 0) skinPoints.Add((x, y, Sub(result.At<Vec3f>(y, x), source.At<Vec3f>(y, x))));

        using var feather = new Mat();
        skin.ConvertTo(feather, MatType.CV_32FC1, 1 / 255.0);
        using var blurredSkin = new Mat();
        Cv2.GaussianBlur(feather, blurredSkin, new OpenCvSharp.Size(0, 0), edgeSigma);
        Cv2.Min(feather, blurredSkin, feather);

        var layered = result.Clone();
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
            {
                float w = feather.At<float>(y, x);
                if (w == 0) continue;
                double sw = 0, s0 = 0, s1 = 0, s2 = 0;
                foreach (var (qx, qy, c) in skinPoints)
                {
                    double g = Math.Exp(-((qx - x) * (qx - x) + (qy - y) * (qy - y)) / (2 * sigma * sigma));
                    sw += g; s0 += g * c.Item0; s1 += g * c.Item1; s2 += g * c.Item2;
                }
                var r = result.At<Vec3f>(y, x);
                var s = source.At<Vec3f>(y, x);
                var mean = new Vec3f((float)(s.Item0 + s0 / sw), (float)(s.Item1 + s1 / sw), (float)(s.Item2 + s2 / sw));
                layered.Set(y, x, new Vec3f(r.Item0 + w * (mean.Item0 - r.Item0), r.Item1 + w * (mean.Item1 - r.Item1), r.Item2 + w * (mean.Item2 - r.Item2)));
            }
        return layered;
    }

    private static Vec3f Sub(Vec3f a, Vec3f b) => new(a.Item0 - b.Item0, a.Item1 - b.Item1, a.Item2 - b.Item2);

    /// <summary>An irregular blob of skin (an ellipse and a disc), more than 32 px (4 sigma) from every border.</summary>
    private static Mat SkinBlob()
    {
        var skin = new Mat(Size, Size, MatType.CV_8UC1, Scalar.All(0));
        skin.Ellipse(new Point(62, 64), new OpenCvSharp.Size(26, 18), 20, 0, 360, Scalar.All(255), -1);
        skin.Circle(new Point(78, 74), 14, Scalar.All(255), -1);
        return skin;
    }

    /// <summary>The source plus a per-pixel change (told whether the pixel is on <paramref name="skin"/>).</summary>
    private static Mat WithChange(Mat source, Func<int, int, bool, Vec3f> change, Mat? skin)
    {
        var result = source.Clone();
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
            {
                var c = change(x, y, skin is not null && skin.At<byte>(y, x) != 0);
                var p = source.At<Vec3f>(y, x);
                result.Set(y, x, new Vec3f(p.Item0 + c.Item0, p.Item1 + c.Item1, p.Item2 + c.Item2));
            }
        return result;
    }

    private static Mat Eroded(Mat mask, int radius)
    {
        var eroded = new Mat();
        using var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new OpenCvSharp.Size(2 * radius + 1, 2 * radius + 1));
        Cv2.Erode(mask, eroded, kernel);
        return eroded;
    }

    private static Vec3d MeanChange(Mat result, Mat source, Mat mask)
    {
        double s0 = 0, s1 = 0, s2 = 0;
        int n = 0;
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
            {
                if (mask.At<byte>(y, x) == 0) continue;
                var d = Sub(result.At<Vec3f>(y, x), source.At<Vec3f>(y, x));
                s0 += d.Item0; s1 += d.Item1; s2 += d.Item2;
                n++;
            }
        return new Vec3d(s0 / n, s1 / n, s2 / n);
    }

    private static IEnumerable<float> AbsDiffs(Mat a, Mat b, Mat mask)
    {
        for (int y = 0; y < Size; y++)
            for (int x = 0; x < Size; x++)
            {
                if (mask.At<byte>(y, x) == 0) continue;
                var d = Sub(a.At<Vec3f>(y, x), b.At<Vec3f>(y, x));
                yield return Math.Max(Math.Abs(d.Item0), Math.Max(Math.Abs(d.Item1), Math.Abs(d.Item2)));
            }
    }

    private static double MaxAbsDiff(Mat a, Mat b, Mat mask) => AbsDiffs(a, b, mask).Max();
}
