using MakeupApi.Errors;
using MakeupApi.Imaging;
using OpenCvSharp;

namespace MakeupApi.Tests.Imaging;

/// <summary>Every input shape a client may send ends as 8-bit BGR, or as a MakeupException with a stable code.</summary>
public sealed class ImageCodecTests
{
    private static readonly ImageLimits Limits = new();

    private static Mat Gradient(int width, int height, MatType type, double max)
    {
        // Smooth ramps (x in channel 0, y in channel 1) survive lossy coding and make orientation mistakes visible.
        var image = new Mat(height, width, type);
        int channels = type.Channels;
        var values = new double[channels];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                for (int c = 0; c < channels; c++) values[c] = c switch { 0 => x * max / width, 1 => y * max / height, _ => max / 2 };
                SetPixel(image, y, x, values);
            }
        return image;
    }

    private static void SetPixel(Mat image, int y, int x, double[] v)
    {
        var t = image.Type();
        if (t == MatType.CV_8UC1) image.Set(y, x, (byte)v[0]);
        else if (t == MatType.CV_16UC1) image.Set(y, x, (ushort)v[0]);
        else if (t == MatType.CV_16UC3) image.Set(y, x, new Vec3w((ushort)v[0], (ushort)v[1], (ushort)v[2]));
        else if (t == MatType.CV_8UC3) image.Set(y, x, new Vec3b((byte)v[0], (byte)v[1], (byte)v[2]));
        else throw new NotSupportedException(t.ToString());
    }

    private static Mat Decode(byte[] bytes, ImageLimits? limits = null) => ImageCodec.Decode(bytes, limits ?? Limits, "source");

    private static MakeupError DecodeError(byte[] bytes, ImageLimits? limits = null) =>
        Assert.Throws<MakeupException>(() => Decode(bytes, limits).Dispose()).Error;

    [Fact]
    public void Grayscale_png_decodes_to_bgr_with_equal_channels()
    {
        using var gray = Gradient(100, 80, MatType.CV_8UC1, 255);
        using var decoded = Decode(gray.ImEncode(".png"));
        Assert.Equal(MatType.CV_8UC3, decoded.Type());
        var channels = decoded.Split();
        foreach (var c in channels) Assert.Equal(0, Cv2.Norm(c, gray, NormTypes.INF));
        foreach (var c in channels) c.Dispose();
    }

    [Fact]
    public void Sixteen_bit_png_decodes_to_8_bit_scaled_by_255_over_65535()
    {
        using var deep = Gradient(90, 70, MatType.CV_16UC3, 65535);
        using var decoded = Decode(deep.ImEncode(".png"));
        Assert.Equal(MatType.CV_8UC3, decoded.Type());
        using var expected = new Mat();
        deep.ConvertTo(expected, MatType.CV_8UC3, 255.0 / 65535.0);
        Assert.True(Cv2.Norm(decoded, expected, NormTypes.INF) <= 1);
        Assert.InRange(decoded.At<Vec3b>(0, 89).Item0, 250, 255); // near full-scale 16-bit stays near full-scale
    }

    [Fact]
    public void Sixteen_bit_grayscale_png_decodes_to_8_bit_bgr()
    {
        using var deep = Gradient(90, 70, MatType.CV_16UC1, 65535);
        using var decoded = Decode(deep.ImEncode(".png"));
        Assert.Equal(MatType.CV_8UC3, decoded.Type());
        Assert.InRange(decoded.At<Vec3b>(0, 45).Item1, 126, 129);
    }

    [Fact]
    public void Alpha_png_is_composited_over_white()
    {
        using var bgra = new Mat(64, 64, MatType.CV_8UC4, new Scalar(40, 80, 120, 255));
        bgra[new Rect(0, 0, 32, 64)].SetTo(new Scalar(40, 80, 120, 0));    // left half fully transparent
        bgra[new Rect(32, 0, 16, 64)].SetTo(new Scalar(40, 80, 120, 128)); // a half-transparent band
        using var decoded = Decode(bgra.ImEncode(".png"));
        Assert.Equal(MatType.CV_8UC3, decoded.Type());
        Assert.Equal(new Vec3b(255, 255, 255), decoded.At<Vec3b>(10, 10));
        Assert.Equal(new Vec3b(40, 80, 120), decoded.At<Vec3b>(10, 60));
        var half = decoded.At<Vec3b>(10, 40); // 40*a + 255*(1-a) with a = 128/255
        Assert.InRange(half.Item0, 146, 148);
        Assert.InRange(half.Item2, 186, 188);
    }

    [Theory]
    [InlineData(3)] [InlineData(6)] [InlineData(8)]
    public void Exif_oriented_jpeg_is_decoded_upright(int orientation)
    {
        using var upright = Gradient(120, 80, MatType.CV_8UC3, 255);
        // Store the pixels the way a camera held sideways would, then say so in EXIF.
        using var stored = upright.Clone();
        int inverse = orientation switch { 6 => 8, 8 => 6, _ => orientation };
        ImageCodec.ApplyOrientation(stored, inverse);
        var jpeg = JpegExif.WithOrientation(stored.ImEncode(".jpg", new ImageEncodingParam(ImwriteFlags.JpegQuality, 95)), orientation, bigEndian: false);

        using var decoded = Decode(jpeg);
        Assert.Equal(upright.Size(), decoded.Size());
        using var diff = new Mat();
        Cv2.Absdiff(decoded, upright, diff);
        Assert.True(Cv2.Mean(diff).Val0 < 3, $"mean difference {Cv2.Mean(diff).Val0:F1}: not upright");
    }

    [Fact]
    public void Tiny_image_is_refused_as_too_small()
    {
        using var tiny = new Mat(8, 8, MatType.CV_8UC3, Scalar.Gray);
        Assert.Equal(MakeupError.ImageTooSmall, DecodeError(tiny.ImEncode(".png")));
        using var thin = new Mat(2000, 40, MatType.CV_8UC3, Scalar.Gray); // one side under MinSide is enough
        Assert.Equal(MakeupError.ImageTooSmall, DecodeError(thin.ImEncode(".png")));
    }

    [Fact]
    public void Header_claiming_50000x50000_is_refused_before_decoding()
    {
        // 33 bytes that would decode to 7.5 GB: refused from the header alone (the bytes hold no pixel data at all).
        Assert.Equal(MakeupError.ImageTooManyPixels, DecodeError(ImageHeaderTests.PngClaiming(50000, 50000)));
    }

    [Fact]
    public void Upload_over_the_byte_limit_is_refused()
    {
        using var noise = new Mat(200, 200, MatType.CV_8UC3);
        Cv2.Randu(noise, Scalar.All(0), Scalar.All(255));
        Assert.Equal(MakeupError.ImageTooLarge, DecodeError(noise.ImEncode(".png"), new ImageLimits { MaxBytes = 1024 }));
    }

    [Fact]
    public void Bytes_that_are_no_known_image_are_unsupported()
    {
        var random = new byte[4096];
        new Random(7).NextBytes(random);
        Assert.Equal(MakeupError.ImageUnsupported, DecodeError(random));
        Assert.Equal(MakeupError.ImageUnsupported, DecodeError("GIF89a\0\0\0\0"u8.ToArray()));
    }

    [Fact]
    public void Valid_header_with_garbage_pixels_is_corrupt()
    {
        using var photo = Gradient(128, 96, MatType.CV_8UC3, 255);
        var png = photo.ImEncode(".png");
        var garbage = new byte[png.Length];
        new Random(3).NextBytes(garbage);
        png.AsSpan(0, 33).CopyTo(garbage); // signature + IHDR intact, everything after it noise
        Assert.Equal(MakeupError.ImageCorrupt, DecodeError(garbage));
    }

    [Fact]
    public void Truncated_png_is_corrupt()
    {
        using var photo = Gradient(128, 96, MatType.CV_8UC3, 255);
        var png = photo.ImEncode(".png");
        Assert.Equal(MakeupError.ImageCorrupt, DecodeError(png[..(png.Length / 2)]));
        Assert.Equal(MakeupError.ImageCorrupt, DecodeError(png[..40])); // header only, no IDAT
    }

    [Fact]
    public void Truncated_jpeg_is_corrupt()
    {
        // The pinned OpenCV (4.13) fails on a cut-off scan rather than padding it with grey as libjpeg can; the client
        // gets a stable code, not a half-grey photo.
        using var photo = Gradient(128, 96, MatType.CV_8UC3, 255);
        var jpeg = photo.ImEncode(".jpg");
        foreach (var fraction in new[] { 0.95, 2 / 3.0, 0.3 })
            Assert.Equal(MakeupError.ImageCorrupt, DecodeError(jpeg[..(int)(jpeg.Length * fraction)]));
    }
}
