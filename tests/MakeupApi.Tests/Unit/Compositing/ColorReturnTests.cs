using MakeupApi.Compositing;
using MakeupApi.FaceAnalysis.Parsing;
using MakeupApi.Transfer.Classical;
using OpenCvSharp;
using static MakeupApi.Tests.Unit.Transfer.TransferTestImages;

namespace MakeupApi.Tests.Unit.Compositing;

public sealed class ColorReturnTests
{
    private const int Size = 256;

    /// <summary>The drawn face with makeup, and the same face whose skin (and everything) also took a cold cast.</summary>
    private static (Mat Source, Mat Labels, Mat Result) Drifted()
    {
        var (source, labels) = DrawnFace(Size, Bare);
        var (madeUp, _) = DrawnFace(Size, MadeUp);
        using (madeUp)
        {
            var result = new Mat();
            Cv2.Add(madeUp, new Scalar(25, 0, 0), result);       // bluish cast over the whole result
            Cv2.Subtract(result, new Scalar(0, 0, 20), result);  // ... and less red
            return (source, labels, result);
        }
    }

    [Fact]
    public void Apply_AtZeroStrength_ReturnsTheResultExactly()
    {
        var (source, labels, result) = Drifted();
        using (source) using (labels) using (result)
        using (var output = new ColorReturn().Apply(source, result, labels, strength: 0))
        {
            Assert.Equal(0, CountDifferentPixels(result, output));
        }
    }

    [Fact]
    public void Apply_AtFullStrength_BringsTheSkinBackToTheSourceColour()
    {
        var (source, labels, result) = Drifted();
        using (source) using (labels) using (result)
        using (var output = new ColorReturn().Apply(source, result, labels, strength: 1))
        using (var regions = FaceRegions.Build(labels, null))
        using (var cheeks = new Mat())
        {
            // Plain skin away from the face edge and the makeup regions.
            using var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new OpenCvSharp.Size(21, 21));
            Cv2.Erode(regions.Skin, cheeks, kernel);
            double before = Ciede2000.Delta(Ciede2000.MeanLab(result, cheeks)!.Value, Ciede2000.MeanLab(source, cheeks)!.Value);
            double after = Ciede2000.Delta(Ciede2000.MeanLab(output, cheeks)!.Value, Ciede2000.MeanLab(source, cheeks)!.Value);
            Assert.True(after < 0.25 * before, $"skin ΔE00 to the source {before:F1} -> {after:F1}");
        }
    }

    [Fact]
    public void Apply_KeepsABlushOnTheCheeksAndReturnsTheirShareOfACast()
    {
        // A result whose only change is a blush on the cheeks keeps it; one with a cast over the whole face gets the
        // cast back out of the cheeks as out of the rest of the skin, though the cheeks are not measured.
        var (source, labels) = DrawnFace(Size, Bare);
        var landmarks = DrawnLandmarks(Size);
        var (driftedSource, driftedLabels, drifted) = Drifted();
        using var blushed = source.Clone();
        PaintBlush(blushed, labels, new Scalar(150, 140, 235));
        using (source) using (labels) using (driftedSource) using (driftedLabels) using (drifted)
        using (var keeps = new ColorReturn().Apply(source, blushed, labels, landmarks, strength: 1))
        using (var returns = new ColorReturn().Apply(source, drifted, labels, landmarks, strength: 1))
        using (var regions = FaceRegions.Build(labels, landmarks))
        {
            double A(Mat image) => Ciede2000.MeanLab(image, regions.Cheeks)!.Value.Item1;
            double blush = A(blushed) - A(source);
            Assert.True(blush > 3, $"the blush adds {blush:F1} a* to the cheeks");
            Assert.True(A(keeps) - A(source) >= 0.9 * blush, $"kept {A(keeps) - A(source):F1} of {blush:F1}");
            double before = Ciede2000.Delta(Ciede2000.MeanLab(drifted, regions.Cheeks)!.Value, Ciede2000.MeanLab(source, regions.Cheeks)!.Value);
            double after = Ciede2000.Delta(Ciede2000.MeanLab(returns, regions.Cheeks)!.Value, Ciede2000.MeanLab(source, regions.Cheeks)!.Value);
            Assert.True(after < 0.25 * before, $"cheeks ΔE00 to the source {before:F1} -> {after:F1}");
        }
    }

    [Fact]
    public void Apply_KeepsTheLipsHueAndLeavesTheBackgroundAlone()
    {
        var (source, labels, result) = Drifted();
        using (source) using (labels) using (result)
        using (var output = new ColorReturn().Apply(source, result, labels, strength: 1))
        using (var lips = Classes(labels, FaceLabel.UpperLip, FaceLabel.LowerLip))
        using (var background = Classes(labels, FaceLabel.Background, FaceLabel.Hair))
        {
            var r = Ciede2000.MeanLab(result, lips)!.Value;
            var o = Ciede2000.MeanLab(output, lips)!.Value;
            double chromaShift = Math.Sqrt(Math.Pow(o.Item1 - r.Item1, 2) + Math.Pow(o.Item2 - r.Item2, 2));
            double chroma = Math.Sqrt(r.Item1 * r.Item1 + r.Item2 * r.Item2);
            Assert.True(chromaShift < 0.2 * chroma, $"lip chroma moved {chromaShift:F1} of {chroma:F1}");

            // Background far from the face keeps its bytes.
            using var face = Classes(labels, FaceLabel.Skin, FaceLabel.Nose, FaceLabel.UpperLip, FaceLabel.LowerLip,
                FaceLabel.LeftBrow, FaceLabel.RightBrow, FaceLabel.LeftEye, FaceLabel.RightEye);
            using var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new OpenCvSharp.Size(41, 41));
            Cv2.Dilate(face, face, kernel);
            Cv2.BitwiseNot(face, face);
            Cv2.BitwiseAnd(background, face, background);
            Assert.True(Cv2.CountNonZero(background) > 1000);
            Assert.Equal(0, CountDifferentPixels(result, output, background));
        }
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void Apply_RejectsAStrengthOutsideZeroToOne(float strength)
    {
        var (source, labels, result) = Drifted();
        using (source) using (labels) using (result)
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new ColorReturn().Apply(source, result, labels, strength: strength).Dispose());
        }
    }
}
