using MakeupApi.Transfer;
using MakeupApi.Transfer.Classical;
using MakeupApi.Transfer.Generator;
using OpenCvSharp;
using static MakeupApi.Tests.Unit.Transfer.TransferTestImages;

namespace MakeupApi.Tests.Unit.Transfer;

/// <summary>
/// How the generator engine moves a source onto the reference's complexion and back (<see cref="ComplexionShift"/>),
/// on the drawn faces: the shift is measured between the two skins, it is there only past the complexion gap, it
/// takes the source's skin to the reference's lightness, and the way back restores the source everywhere it covers
/// while the lips keep their bytes.
/// </summary>
public sealed class ComplexionShiftTests
{
    private const int Size = 256;

    /// <summary>A bare face far darker than <see cref="MadeUp"/> (skin about 40 L* apart).</summary>
    private static readonly FaceColours Dark = new(new Scalar(45, 65, 110), new Scalar(70, 70, 120), new Scalar(45, 65, 110), new Scalar(20, 25, 35));

    [Fact]
    public void Between_OnLikeComplexions_IsNone()
    {
        // The drawn faces' skins differ by about 5 L*, under ComplexionOptions.GapFrom.
        using var faces = new Faces(Bare, MadeUp);
        Assert.Null(faces.Shift());
    }

    [Fact]
    public void Between_WithTheComplexionOff_IsNoneEvenForFarApartFaces()
    {
        using var faces = new Faces(Dark, MadeUp);
        Assert.Null(faces.Shift(ComplexionOptions.Off));
    }

    [Fact]
    public void Between_OnAMuchDarkerSource_IsTheWholeLightnessGapAndHalfTheHueGap()
    {
        using var faces = new Faces(Dark, MadeUp);
        var shift = faces.Shift()!.Value;
        var s = Ciede2000.MeanLab(faces.Source, faces.SourceRegions.Skin)!.Value;
        var r = Ciede2000.MeanLab(faces.Reference, faces.ReferenceRegions.Skin)!.Value;
        Assert.True(r.Item0 - s.Item0 > 30, $"the drawn faces should be far apart: {r.Item0:F1} vs {s.Item0:F1}");
        Assert.Equal(s.Item0 - r.Item0, shift.Val0, 0.5);
        Assert.Equal(0.5 * (s.Item1 - r.Item1), shift.Val1, 0.5);
        Assert.Equal(0.5 * (s.Item2 - r.Item2), shift.Val2, 0.5);
    }

    [Fact]
    public void Apply_ReversedShift_GivesTheSourcesSkinTheReferencesLightness()
    {
        using var faces = new Faces(Dark, MadeUp);
        var shift = faces.Shift()!.Value;
        using var shown = ComplexionShift.Apply(faces.Source, ComplexionShift.Reversed(shift));
        double shownSkin = Ciede2000.MeanLab(shown, faces.SourceRegions.Skin)!.Value.Item0;
        double referenceSkin = Ciede2000.MeanLab(faces.Reference, faces.ReferenceRegions.Skin)!.Value.Item0;
        // To within the 8-bit rounding.
        Assert.InRange(shownSkin - referenceSkin, -1.0, 1.0);
    }

    [Fact]
    public void Apply_ThereAndBack_RestoresTheSourceOutsideTheLipsAndKeepsTheLipsBytes()
    {
        using var faces = new Faces(Dark, MadeUp);
        var shift = faces.Shift()!.Value;
        using var shown = ComplexionShift.Apply(faces.Source, ComplexionShift.Reversed(shift));
        using var cover = ComplexionShift.AllButLips(faces.SourceRegions.Lips, 2);
        using var back = ComplexionShift.Apply(shown, shift, cover);

        // The lips are not shifted back: they keep the bytes the generator gave them (here: the shown source's).
        Assert.True(Cv2.CountNonZero(faces.SourceRegions.Lips) > 500);
        Assert.Equal(0, CountDifferentPixels(back, shown, faces.SourceRegions.Lips));
        // The skin, away from the lips' feathered edge, returns to the source's within a rounding step or two per channel.
        using var farFromLips = new Mat();
        using (var grown = new Mat())
        {
            Cv2.Dilate(faces.SourceRegions.Lips, grown, Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(17, 17)));
            Cv2.BitwiseNot(grown, farFromLips);
            Cv2.BitwiseAnd(farFromLips, faces.SourceRegions.Skin, farFromLips);
        }
        using var diff = new Mat();
        Cv2.Absdiff(back, faces.Source, diff);
        double worst = 0;
        foreach (var channel in diff.Split())
        {
            using (channel)
            {
                Cv2.MinMaxLoc(channel, out _, out double most, out _, out _, farFromLips);
                worst = Math.Max(worst, most);
            }
        }
        Assert.True(worst <= 2, $"largest channel difference on the skin after the round trip: {worst}");
    }

    [Fact]
    public void Apply_WithACover_MovesEachPixelInProportionToIt()
    {
        using var faces = new Faces(Dark, MadeUp);
        var shift = faces.Shift()!.Value;
        using var full = ComplexionShift.Apply(faces.Source, shift);
        using var half = new Mat(faces.Source.Size(), MatType.CV_32FC1, Scalar.All(0.5));
        using var halfway = ComplexionShift.Apply(faces.Source, shift, half);
        // Naive check, pixel by pixel: halfway is the mean of the source and the fully shifted image.
        int worst = 0;
        for (int y = 0; y < Size; y += 7)
        {
            for (int x = 0; x < Size; x += 7)
            {
                var s = faces.Source.At<Vec3b>(y, x);
                var f = full.At<Vec3b>(y, x);
                var h = halfway.At<Vec3b>(y, x);
                for (int c = 0; c < 3; c++)
                    worst = Math.Max(worst, (int)Math.Abs(h[c] - (s[c] + f[c]) / 2.0));
            }
        }
        Assert.True(worst <= 1, $"largest difference from the mean of source and full shift: {worst}");
    }

    [Theory]
    [InlineData(0, 0f)]
    [InlineData(10, 0f)]
    [InlineData(12.5, 0.25f)]
    [InlineData(15, 0.5f)]
    [InlineData(20, 1f)]
    [InlineData(60, 1f)]
    [InlineData(double.NaN, 0f)]
    public void Weight_IsZeroUpToGapFromOneFromGapFullAndLinearBetween(double gap, float expected) =>
        Assert.Equal(expected, new ComplexionOptions().Weight(gap), 5);

    [Fact]
    public void Validate_RefusesGapsOutOfOrderAndAChromaShareOutsideZeroToOne()
    {
        Assert.Throws<ArgumentException>(() => new ComplexionOptions { GapFrom = 20, GapFull = 10 }.Validate("o"));
        Assert.Throws<ArgumentException>(() => new ComplexionOptions { GapFrom = -1 }.Validate("o"));
        Assert.Throws<ArgumentException>(() => new ComplexionOptions { ChromaShare = 1.5f }.Validate("o"));
        new ComplexionOptions().Validate("o");
        ComplexionOptions.Off.Validate("o");
    }

    /// <summary>Two drawn faces with their regions.</summary>
    private sealed class Faces : IDisposable
    {
        public Mat Source { get; }
        public Mat Reference { get; }
        public FaceRegions SourceRegions { get; }
        public FaceRegions ReferenceRegions { get; }
        private readonly Mat _sourceLabels, _referenceLabels;

        public Faces(FaceColours source, FaceColours reference)
        {
            (Source, _sourceLabels) = DrawnFace(Size, source);
            (Reference, _referenceLabels) = DrawnFace(Size, reference);
            SourceRegions = FaceRegions.Build(_sourceLabels, null);
            ReferenceRegions = FaceRegions.Build(_referenceLabels, null);
        }

        public Scalar? Shift(ComplexionOptions? options = null) =>
            ComplexionShift.Between(Source, SourceRegions.Skin, Reference, ReferenceRegions.Skin, options ?? new ComplexionOptions());

        public void Dispose()
        {
            SourceRegions.Dispose();
            ReferenceRegions.Dispose();
            Source.Dispose();
            Reference.Dispose();
            _sourceLabels.Dispose();
            _referenceLabels.Dispose();
        }
    }
}
