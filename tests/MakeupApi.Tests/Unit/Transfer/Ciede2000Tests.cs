using MakeupApi.Transfer.Classical;
using OpenCvSharp;

namespace MakeupApi.Tests.Unit.Transfer;

public sealed class Ciede2000Tests
{
    // G. Sharma, W. Wu, E. N. Dalal (2005), Table 1: all 34 published test pairs (L1 a1 b1, L2 a2 b2, ΔE00).
    public static TheoryData<double, double, double, double, double, double, double> SharmaPairs => new()
    {
        { 50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425 },
        { 50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615 },
        { 50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412 },
        { 50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000 },
        { 50.0000, -1.1848, -84.8006, 50.0000, 0.0000, -82.7485, 1.0000 },
        { 50.0000, -0.9009, -85.5211, 50.0000, 0.0000, -82.7485, 1.0000 },
        { 50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669 },
        { 50.0000, -1.0000, 2.0000, 50.0000, 0.0000, 0.0000, 2.3669 },
        { 50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792 },
        { 50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0010, 7.1792 },
        { 50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0011, 7.2195 },
        { 50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0012, 7.2195 },
        { 50.0000, -0.0010, 2.4900, 50.0000, 0.0009, -2.4900, 4.8045 },
        { 50.0000, -0.0010, 2.4900, 50.0000, 0.0010, -2.4900, 4.8045 },
        { 50.0000, -0.0010, 2.4900, 50.0000, 0.0011, -2.4900, 4.7461 },
        { 50.0000, 2.5000, 0.0000, 50.0000, 0.0000, -2.5000, 4.3065 },
        { 50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492 },
        { 50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977 },
        { 50.0000, 2.5000, 0.0000, 56.0000, -27.0000, -3.0000, 31.9030 },
        { 50.0000, 2.5000, 0.0000, 58.0000, 24.0000, 15.0000, 19.4535 },
        { 50.0000, 2.5000, 0.0000, 50.0000, 3.1736, 0.5854, 1.0000 },
        { 50.0000, 2.5000, 0.0000, 50.0000, 3.2972, 0.0000, 1.0000 },
        { 50.0000, 2.5000, 0.0000, 50.0000, 1.8634, 0.5757, 1.0000 },
        { 50.0000, 2.5000, 0.0000, 50.0000, 3.2592, 0.3350, 1.0000 },
        { 60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644 },
        { 63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.2630 },
        { 61.2901, 3.7196, -5.3901, 61.4292, 2.2480, -4.9620, 1.8731 },
        { 35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645 },
        { 22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373 },
        { 36.4612, 47.8580, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146 },
        { 90.8027, -2.0831, 1.4410, 91.1528, -1.6435, 0.0447, 1.4441 },
        { 90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381 },
        { 6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377 },
        { 2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082 },
    };

    [Theory]
    [MemberData(nameof(SharmaPairs))]
    public void Delta_MatchesSharmaWuDalalPublishedPairs(double l1, double a1, double b1, double l2, double a2, double b2, double expected)
    {
        Assert.Equal(expected, Ciede2000.Delta(l1, a1, b1, l2, a2, b2), 4);
    }

    [Theory]
    [MemberData(nameof(SharmaPairs))]
    public void Delta_IsSymmetric(double l1, double a1, double b1, double l2, double a2, double b2, double expected)
    {
        _ = expected;
        Assert.Equal(Ciede2000.Delta(l1, a1, b1, l2, a2, b2), Ciede2000.Delta(l2, a2, b2, l1, a1, b1), 10);
    }

    [Fact]
    public void Delta_OfAColourWithItself_IsZero()
    {
        Assert.Equal(0, Ciede2000.Delta(new Vec3d(53.2, 80.1, 67.2), new Vec3d(53.2, 80.1, 67.2)), 12);
    }

    [Fact]
    public void MeanLab_OfPureRed_IsTheSrgbRedLab()
    {
        using var red = new Mat(4, 4, MatType.CV_8UC3, new Scalar(0, 0, 255));
        using var mask = new Mat(4, 4, MatType.CV_8UC1, Scalar.All(255));
        var lab = Ciede2000.MeanLab(red, mask);
        Assert.NotNull(lab);
        // sRGB red in CIELAB (D65): (53.24, 80.09, 67.20).
        Assert.Equal(53.24, lab.Value.Item0, 1);
        Assert.Equal(80.09, lab.Value.Item1, 0);
        Assert.Equal(67.20, lab.Value.Item2, 0);
    }

    [Fact]
    public void MeanLab_OfAnEmptyMask_IsNull()
    {
        using var image = new Mat(4, 4, MatType.CV_8UC3, Scalar.All(100));
        using var mask = new Mat(4, 4, MatType.CV_8UC1, Scalar.All(0));
        Assert.Null(Ciede2000.MeanLab(image, mask));
    }
}
