using MakeupApi.Errors;
using OpenCvSharp;

namespace MakeupApi.Imaging;

public enum OutputImageFormat { Png, Jpeg }

/// <summary>
/// Decodes uploads into 8-bit BGR with OpenCV and encodes results. Every input shape a client may send is
/// normalised here: EXIF orientation applied, grayscale expanded, 16-bit scaled to 8-bit, alpha composited
/// over white (a transparent background has no colour of its own; white is what a viewer shows).
/// </summary>
public static class ImageCodec
{
    public static Mat Decode(ReadOnlySpan<byte> data, ImageLimits limits, string subject)
    {
        if (data.Length > limits.MaxBytes)
            throw new MakeupException(MakeupError.ImageTooLarge,
                $"The {subject} image is {data.Length} bytes; the limit is {limits.MaxBytes}.", subject);
        var header = ImageHeader.TryRead(data) ?? throw new MakeupException(MakeupError.ImageUnsupported,
            $"The {subject} file is not a JPEG, PNG, WebP or BMP image.", subject);
        if (header.PixelCount > limits.MaxPixels)
            throw new MakeupException(MakeupError.ImageTooManyPixels,
                $"The {subject} image is {header.Width}x{header.Height}; the limit is {limits.MaxPixels} pixels.", subject);
        if (Math.Min(header.Width, header.Height) < limits.MinSide)
            throw new MakeupException(MakeupError.ImageTooSmall,
                $"The {subject} image is {header.Width}x{header.Height}; each side must be at least {limits.MinSide} px.", subject);

        using var raw = Cv2.ImDecode(data, ImreadModes.Unchanged);
        if (raw.Empty() || raw.Width != header.Width || raw.Height != header.Height)
            throw new MakeupException(MakeupError.ImageCorrupt, $"The {subject} image could not be decoded.", subject);

        var bgr = ToBgr8(raw);
        try
        {
            ApplyOrientation(bgr, header.ExifOrientation);
            return bgr;
        }
        catch
        {
            bgr.Dispose();
            throw;
        }
    }

    public static byte[] Encode(Mat bgr, OutputImageFormat format, int jpegQuality = 92) => format switch
    {
        OutputImageFormat.Jpeg => bgr.ImEncode(".jpg", new ImageEncodingParam(ImwriteFlags.JpegQuality, jpegQuality)),
        // PNG through our own writer (Sub filter, zlib's fastest level; see PngEncoder): measured on the 1024x1024
        // transfer benchmark, OpenCV's libpng at level 1 with Huffman-only coding took 82 ms of the answer's time.
        _ => PngEncoder.Encode(bgr),
    };

    public static string ContentType(OutputImageFormat format) =>
        format == OutputImageFormat.Jpeg ? "image/jpeg" : "image/png";

    private static Mat ToBgr8(Mat raw)
    {
        using var eight = new Mat();
        var depth = raw.Depth();
        if (depth == MatType.CV_8U) raw.CopyTo(eight);
        else if (depth == MatType.CV_16U) raw.ConvertTo(eight, MatType.CV_8U, 255.0 / 65535.0);
        else if (depth == MatType.CV_32F) raw.ConvertTo(eight, MatType.CV_8U, 255.0);
        else throw new MakeupException(MakeupError.ImageUnsupported, $"Pixel depth {depth} is not supported.");

        var result = new Mat();
        switch (eight.Channels())
        {
            case 1: Cv2.CvtColor(eight, result, ColorConversionCodes.GRAY2BGR); break;
            case 3: eight.CopyTo(result); break;
            case 4: CompositeOverWhite(eight, result); break;
            default:
                result.Dispose();
                throw new MakeupException(MakeupError.ImageUnsupported, $"{eight.Channels()}-channel images are not supported.");
        }
        return result;
    }

    private static void CompositeOverWhite(Mat bgra, Mat bgr)
    {
        using var bgrF = new Mat();
        using var alpha = new Mat();
        using var bgrOnly = new Mat();
        Cv2.CvtColor(bgra, bgrOnly, ColorConversionCodes.BGRA2BGR);
        Cv2.ExtractChannel(bgra, alpha, 3);
        using var alpha3 = new Mat();
        Cv2.Merge([alpha, alpha, alpha], alpha3);
        using var a = new Mat();
        alpha3.ConvertTo(a, MatType.CV_32FC3, 1 / 255.0);
        bgrOnly.ConvertTo(bgrF, MatType.CV_32FC3);
        using var inv = new Mat();
        Cv2.Subtract(Scalar.All(1.0), a, inv);
        using var fg = bgrF.Mul(a).ToMat();
        using var bg = (inv * 255.0).ToMat();
        using var sum = new Mat();
        Cv2.Add(fg, bg, sum);
        sum.ConvertTo(bgr, MatType.CV_8UC3);
    }

    /// <summary>EXIF orientation values 1..8 (EXIF 2.32, table 6): flip and rotate so the photo shows upright.</summary>
    internal static void ApplyOrientation(Mat image, int orientation)
    {
        switch (orientation)
        {
            case 2: Cv2.Flip(image, image, FlipMode.Y); break;
            case 3: Cv2.Rotate(image, image, RotateFlags.Rotate180); break;
            case 4: Cv2.Flip(image, image, FlipMode.X); break;
            case 5: Cv2.Transpose(image, image); break;
            case 6: Cv2.Rotate(image, image, RotateFlags.Rotate90Clockwise); break;
            case 7: Cv2.Transpose(image, image); Cv2.Rotate(image, image, RotateFlags.Rotate180); break;
            case 8: Cv2.Rotate(image, image, RotateFlags.Rotate90Counterclockwise); break;
        }
    }
}
