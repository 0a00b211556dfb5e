using MakeupApi.FaceAnalysis.Parsing;
using OpenCvSharp;

namespace MakeupApi.Tests.FaceAnalysis.Parsing;

public sealed class FaceColourfulnessTests
{
    private const int Side = 128;

    /// <summary>A lightness ramp from dark to light, top to bottom, in the given per-channel gains of grey.</summary>
    private static Mat Ramp(double blue, double green, double red)
    {
        var image = new Mat(Side, Side, MatType.CV_8UC3);
        for (int y = 0; y < Side; y++)
        {
            double v = 40 + 180.0 * y / (Side - 1);
            image.Rectangle(new Rect(0, y, Side, 1), new Scalar(v * blue, v * green, v * red), -1);
        }
        return image;
    }

    private static Mat AllSkin() => new(Side, Side, MatType.CV_8UC1, Scalar.All(FaceLabel.Skin));

    [Fact]
    public void A_grey_face_has_no_colour()
    {
        using var grey = Ramp(1, 1, 1);
        using var labels = AllSkin();
        Assert.InRange(FaceColourfulness.Measure(grey, labels)!.Value, 0, 0.1);
    }

    [Fact]
    public void A_sepia_toned_face_has_no_colour_beyond_its_tone()
    {
        // The tone's chroma grows with lightness (a* and b* vary by several units down the ramp) but it is one hue per
        // lightness, which is no makeup.
        using var sepia = Ramp(0.75, 0.9, 1.05);
        using var labels = AllSkin();
        Assert.InRange(FaceColourfulness.Measure(sepia, labels)!.Value, 0, 1.0);
    }

    [Fact]
    public void Lips_redder_than_the_skin_at_the_same_lightness_make_a_colour_face()
    {
        // Skin, with a fifth of it a rose of about the same lightness: the measure is the 90th percentile, so a
        // region of a tenth of the face or more shows.
        using var face = Ramp(0.8, 0.9, 1.0);
        using (var lips = face[new Rect(0, 0, Side / 5, Side)])
        using (var rose = Ramp(0.8, 0.75, 1.1))
        using (var roseStrip = rose[new Rect(0, 0, Side / 5, Side)])
            roseStrip.CopyTo(lips);
        using var labels = AllSkin();
        Assert.True(FaceColourfulness.Measure(face, labels) > 5, $"measured {FaceColourfulness.Measure(face, labels):F2}");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 7)]
    [InlineData(1000, 11)]
    [InlineData(4097, 5)]
    public void Select_finds_the_value_a_sort_puts_at_each_place(int length, int seed)
    {
        // Against the naive version: sort and index. Duplicates included (values from a small range).
        var random = new Random(seed);
        var values = Enumerable.Range(0, length).Select(_ => (float)random.Next(-50, 50) / 4).ToArray();
        var sorted = values.Order().ToArray();
        foreach (var k in new[] { 0, length / 2, (int)Math.Floor(0.9 * length), length - 1 }.Distinct())
            Assert.Equal(sorted[k], FaceColourfulness.Select(values.ToArray().AsSpan(), k));
    }

    [Fact]
    public void Pixels_outside_the_face_labels_do_not_count()
    {
        using var face = Ramp(1, 1, 1);
        using var labels = AllSkin();
        // Saturated background (label 0) over half the crop: the face itself is still grey.
        using (var half = face[new Rect(0, 0, Side / 2, Side)]) half.SetTo(new Scalar(255, 0, 0));
        using (var halfLabels = labels[new Rect(0, 0, Side / 2, Side)]) halfLabels.SetTo(Scalar.All(FaceLabel.Background));
        Assert.InRange(FaceColourfulness.Measure(face, labels)!.Value, 0, 0.1);
        using var none = new Mat(Side, Side, MatType.CV_8UC1, Scalar.All(FaceLabel.Background));
        Assert.Null(FaceColourfulness.Measure(face, none));
    }
}
