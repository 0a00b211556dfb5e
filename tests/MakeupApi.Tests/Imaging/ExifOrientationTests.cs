using MakeupApi.Imaging;
using OpenCvSharp;

namespace MakeupApi.Tests.Imaging;

public sealed class ExifOrientationTests
{
    [Theory]
    [InlineData(1, false)] [InlineData(3, true)] [InlineData(6, false)] [InlineData(6, true)] [InlineData(8, false)] [InlineData(5, true)]
    public void Exif_reader_finds_orientation_in_both_byte_orders(int orientation, bool bigEndian)
    {
        Assert.Equal(orientation, ExifReader.ReadOrientation(JpegExif.Tiff(orientation, bigEndian)));
    }

    [Fact]
    public void Exif_reader_gives_1_when_the_tag_is_absent_invalid_or_cut_off()
    {
        Assert.Equal(1, ExifReader.ReadOrientation(JpegExif.Tiff(6, bigEndian: false, includeOrientation: false)));
        Assert.Equal(1, ExifReader.ReadOrientation(JpegExif.Tiff(0, bigEndian: false)));
        Assert.Equal(1, ExifReader.ReadOrientation(JpegExif.Tiff(9, bigEndian: true)));
        Assert.Equal(1, ExifReader.ReadOrientation("XX\0\x2A\0\0\0\x08"u8));            // unknown byte order
        var tiff = JpegExif.Tiff(6, bigEndian: true);
        for (int length = 0; length < 20; length++)                                      // value field starts at 18
            Assert.Equal(1, ExifReader.ReadOrientation(tiff.AsSpan(0, length)));
        tiff[7] = 0xF0;                                                                  // IFD offset past the end
        Assert.Equal(1, ExifReader.ReadOrientation(tiff));
    }

    [Theory]
    [InlineData(1)] [InlineData(2)] [InlineData(3)] [InlineData(4)] [InlineData(5)] [InlineData(6)] [InlineData(7)] [InlineData(8)]
    public void Orientation_transform_matches_the_naive_per_pixel_definition(int orientation)
    {
        // A non-square image with distinct pixels, so any swapped axis or wrong direction shows.
        const int w = 7, h = 4;
        using var stored = new Mat(h, w, MatType.CV_8UC3);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                stored.Set(y, x, new Vec3b((byte)x, (byte)y, (byte)(10 * y + x)));

        using var actual = stored.Clone();
        ImageCodec.ApplyOrientation(actual, orientation);

        bool swapsAxes = orientation >= 5;
        Assert.Equal(swapsAxes ? new Size(h, w) : new Size(w, h), actual.Size());
        int width = actual.Width, height = actual.Height;
        for (int v = 0; v < height; v++)
            for (int u = 0; u < width; u++)
            {
                var (x, y) = NaiveSource(orientation, u, v, w, h);
                Assert.Equal(stored.At<Vec3b>(y, x), actual.At<Vec3b>(v, u));
            }
    }

    /// <summary>
    /// Which stored pixel shows at display position (u, v), straight from the EXIF 2.32 table of Orientation values
    /// (where the stored 0th row and 0th column end up when the photo is viewed upright).
    /// </summary>
    private static (int X, int Y) NaiveSource(int orientation, int u, int v, int w, int h) => orientation switch
    {
        1 => (u, v),
        2 => (w - 1 - u, v),             // row 0 top, column 0 right: mirrored left-right
        3 => (w - 1 - u, h - 1 - v),     // row 0 bottom, column 0 right: rotated 180
        4 => (u, h - 1 - v),             // row 0 bottom, column 0 left: mirrored top-bottom
        5 => (v, u),                     // row 0 left, column 0 top: transposed
        6 => (v, h - 1 - u),             // row 0 right, column 0 top: needs 90 degrees clockwise
        7 => (w - 1 - v, h - 1 - u),     // row 0 right, column 0 bottom: transverse
        8 => (w - 1 - v, u),             // row 0 left, column 0 bottom: needs 90 degrees counter-clockwise
        _ => throw new ArgumentOutOfRangeException(nameof(orientation)),
    };
}
