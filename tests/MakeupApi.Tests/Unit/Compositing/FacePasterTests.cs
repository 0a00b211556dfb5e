using MakeupApi.Compositing;
using MakeupApi.FaceAnalysis.Parsing;
using OpenCvSharp;
using static MakeupApi.Tests.Unit.Transfer.TransferTestImages;

namespace MakeupApi.Tests.Unit.Compositing;

public sealed class FacePasterTests
{
    private const int PhotoWidth = 400, PhotoHeight = 300, CropSize = 128;

    /// <summary>Photo → crop: rotate 12°, scale 0.8, shift; the crop sees the middle of the photo.</summary>
    private static Mat ToCrop()
    {
        double angle = 12 * Math.PI / 180, scale = 0.8;
        double a = scale * Math.Cos(angle), b = scale * Math.Sin(angle);
        var m = new Mat(2, 3, MatType.CV_64FC1);
        m.SetArray(new[] { a, -b, -120.0, b, a, -70.0 });
        return m;
    }

    private static Mat Photo()
    {
        var photo = new Mat(PhotoHeight, PhotoWidth, MatType.CV_8UC3);
        var random = new Random(3);
        for (int y = 0; y < PhotoHeight; y++)
            for (int x = 0; x < PhotoWidth; x++)
                photo.Set(y, x, new Vec3b((byte)random.Next(256), (byte)(x * 255 / PhotoWidth), (byte)(y * 255 / PhotoHeight)));
        return photo;
    }

    /// <summary>A disc of skin with lips in the middle of the crop.</summary>
    private static Mat DiscLabels()
    {
        var labels = new Mat(CropSize, CropSize, MatType.CV_8UC1, Scalar.All(FaceLabel.Background));
        labels.Circle(new Point(64, 64), 30, Scalar.All(FaceLabel.Skin), -1);
        labels.Ellipse(new Point(64, 80), new OpenCvSharp.Size(10, 4), 0, 0, 360, Scalar.All(FaceLabel.UpperLip), -1);
        return labels;
    }

    private static Mat CropOf(Mat photo, Mat toCrop)
    {
        var crop = new Mat();
        Cv2.WarpAffine(photo, crop, toCrop, new OpenCvSharp.Size(CropSize, CropSize), InterpolationFlags.Linear, BorderTypes.Replicate);
        return crop;
    }

    [Fact]
    public void Paste_LeavesEveryPixelOutsideTheGrownFaceMaskBitIdentical()
    {
        using var photo = Photo();
        using var toCrop = ToCrop();
        using var crop = CropOf(photo, toCrop);
        using var labels = DiscLabels();
        using var result = new Mat();
        Cv2.Add(crop, new Scalar(40, 40, 40), result); // the "engine" changed every crop pixel, background included
        var paster = new FacePaster();
        using var pasted = paster.Paste(photo, toCrop, crop, result, labels);

        // The grown face mask, taken back to the photo (nearest, plus one pixel for bilinear reach).
        using var alpha = paster.FaceAlpha(labels, CropSize);
        using var support = new Mat();
        Cv2.Threshold(alpha, support, 0, 255, ThresholdTypes.Binary);
        using var inPhoto = new Mat();
        Cv2.WarpAffine(support, inPhoto, toCrop, photo.Size(), InterpolationFlags.Nearest | InterpolationFlags.WarpInverseMap,
            BorderTypes.Constant, Scalar.All(0));
        using var kernel = Cv2.GetStructuringElement(MorphShapes.Rect, new OpenCvSharp.Size(5, 5));
        Cv2.Dilate(inPhoto, inPhoto, kernel);
        using var outside = new Mat();
        Cv2.BitwiseNot(inPhoto, outside);

        Assert.True(Cv2.CountNonZero(outside) > PhotoWidth * PhotoHeight / 2);
        Assert.Equal(0, CountDifferentPixels(photo, pasted, outside));
        Assert.True(CountDifferentPixels(photo, pasted) > 1000); // and the face did change
    }

    [Fact]
    public void Paste_PutsTheResultCropInPlaceThroughTheInverseAffine()
    {
        using var photo = Photo();
        using var toCrop = ToCrop();
        using var crop = CropOf(photo, toCrop);
        using var labels = DiscLabels();
        // A smooth result, so bilinear resampling is exact enough to compare with a naive per-pixel inverse map.
        using var result = new Mat(CropSize, CropSize, MatType.CV_8UC3);
        for (int y = 0; y < CropSize; y++)
            for (int x = 0; x < CropSize; x++)
                result.Set(y, x, new Vec3b((byte)(2 * x), (byte)(2 * y), 90));
        using var pasted = new FacePaster(new FacePasterOptions { PasteChangeOnly = false }).Paste(photo, toCrop, crop, result, labels);

        toCrop.GetArray(out double[] m);
        int compared = 0;
        for (int y = 0; y < PhotoHeight; y++)
        {
            for (int x = 0; x < PhotoWidth; x++)
            {
                double cx = m[0] * x + m[1] * y + m[2], cy = m[3] * x + m[4] * y + m[5];
                // Deep inside the face disc, where the mask is exactly 1.
                if ((cx - 64) * (cx - 64) + (cy - 64) * (cy - 64) > 26 * 26) continue;
                var expected = new Vec3b((byte)Math.Round(2 * cx), (byte)Math.Round(2 * cy), 90);
                var actual = pasted.At<Vec3b>(y, x);
                Assert.True(Math.Abs(actual.Item0 - expected.Item0) <= 1 && Math.Abs(actual.Item1 - expected.Item1) <= 1 && actual.Item2 == 90,
                    $"photo ({x},{y}) -> crop ({cx:F1},{cy:F1}): {actual} vs {expected}");
                compared++;
            }
        }
        Assert.True(compared > 1500);
    }

    [Fact]
    public void Paste_OfTheChangeOnly_AddsTheEnginesDifferenceToThePhoto()
    {
        using var photo = Photo();
        using var toCrop = ToCrop();
        using var crop = CropOf(photo, toCrop);
        using var labels = DiscLabels();
        using var result = new Mat();
        Cv2.Add(crop, new Scalar(10, 20, 30), result);
        using var pasted = new FacePaster().Paste(photo, toCrop, crop, result, labels);

        toCrop.GetArray(out double[] m);
        int compared = 0;
        for (int y = 0; y < PhotoHeight; y++)
        {
            for (int x = 0; x < PhotoWidth; x++)
            {
                double cx = m[0] * x + m[1] * y + m[2], cy = m[3] * x + m[4] * y + m[5];
                if ((cx - 64) * (cx - 64) + (cy - 64) * (cy - 64) > 26 * 26) continue;
                var p = photo.At<Vec3b>(y, x);
                var q = pasted.At<Vec3b>(y, x);
                // The photo's own (noisy, full-resolution) pixel plus the change; capped at 255.
                Assert.Equal(Math.Min(255, p.Item0 + 10), q.Item0);
                Assert.Equal(Math.Min(255, p.Item1 + 20), q.Item1);
                Assert.Equal(Math.Min(255, p.Item2 + 30), q.Item2);
                compared++;
            }
        }
        Assert.True(compared > 1500);
    }

    [Fact]
    public void Paste_WithNoFaceLabels_ReturnsAnExactCopy()
    {
        using var photo = Photo();
        using var toCrop = ToCrop();
        using var crop = CropOf(photo, toCrop);
        using var labels = new Mat(CropSize, CropSize, MatType.CV_8UC1, Scalar.All(FaceLabel.Hair));
        using var result = new Mat(CropSize, CropSize, MatType.CV_8UC3, Scalar.All(0));
        using var pasted = new FacePaster().Paste(photo, toCrop, crop, result, labels);
        Assert.Equal(0, CountDifferentPixels(photo, pasted));
    }

    [Fact]
    public void Paste_WithAFaceHalfOutsideThePhoto_ChangesOnlyPixelsInside()
    {
        using var photo = Photo();
        using var toCrop = new Mat(2, 3, MatType.CV_64FC1);
        toCrop.SetArray(new[] { 1.0, 0, 40, 0, 1.0, 40 }); // the crop starts 40 px left of and above the photo
        using var crop = CropOf(photo, toCrop);
        using var labels = DiscLabels();
        using var result = new Mat();
        Cv2.Add(crop, new Scalar(30, 30, 30), result);
        using var pasted = new FacePaster().Paste(photo, toCrop, crop, result, labels);
        Assert.True(CountDifferentPixels(photo, pasted) > 500);
        Assert.Equal(photo.Size(), pasted.Size());
    }
}
