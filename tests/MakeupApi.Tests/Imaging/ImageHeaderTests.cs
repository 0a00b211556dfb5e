using System.Buffers.Binary;
using MakeupApi.Imaging;
using OpenCvSharp;

namespace MakeupApi.Tests.Imaging;

/// <summary>Header sniffing on files written by OpenCV's own encoders, plus hand-made headers for the rarer layouts.</summary>
public sealed class ImageHeaderTests
{
    private static byte[] Encode(string extension, int width, int height, params ImageEncodingParam[] parameters)
    {
        using var image = new Mat(height, width, MatType.CV_8UC3);
        Cv2.Randu(image, Scalar.All(0), Scalar.All(255));
        return image.ImEncode(extension, parameters);
    }

    [Theory]
    [InlineData(".png", ImageFormat.Png)]
    [InlineData(".jpg", ImageFormat.Jpeg)]
    [InlineData(".bmp", ImageFormat.Bmp)]
    [InlineData(".webp", ImageFormat.WebP)]
    public void Header_gives_format_and_size_of_encoded_images(string extension, ImageFormat format)
    {
        var header = ImageHeader.TryRead(Encode(extension, 123, 45));
        Assert.Equal(new ImageHeader(format, 123, 45, 1), header);
    }

    [Fact]
    public void Header_reads_lossless_webp_vp8l()
    {
        var bytes = Encode(".webp", 77, 31, new ImageEncodingParam(ImwriteFlags.WebPQuality, 101)); // > 100 = lossless
        Assert.Equal("VP8L", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(new ImageHeader(ImageFormat.WebP, 77, 31, 1), ImageHeader.TryRead(bytes));
    }

    [Fact]
    public void Header_reads_extended_webp_vp8x()
    {
        // RIFF....WEBP VP8X chunk: flags (4 bytes), then width-1 and height-1 as 24-bit little-endian (WebP container spec).
        var bytes = new byte[30];
        "RIFF"u8.CopyTo(bytes);
        "WEBPVP8X"u8.CopyTo(bytes.AsSpan(8));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), 10);
        WriteU24(bytes.AsSpan(24), 5000 - 1);
        WriteU24(bytes.AsSpan(27), 70000 - 1);
        Assert.Equal(new ImageHeader(ImageFormat.WebP, 5000, 70000, 1), ImageHeader.TryRead(bytes));
    }

    [Fact]
    public void Header_reads_progressive_jpeg()
    {
        var bytes = Encode(".jpg", 64, 80, new ImageEncodingParam(ImwriteFlags.JpegProgressive, 1));
        Assert.Equal(new ImageHeader(ImageFormat.Jpeg, 64, 80, 1), ImageHeader.TryRead(bytes));
    }

    [Fact]
    public void Header_reads_top_down_bmp_with_negative_height()
    {
        var bytes = Encode(".bmp", 10, 20);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), -20);
        Assert.Equal(new ImageHeader(ImageFormat.Bmp, 10, 20, 1), ImageHeader.TryRead(bytes));
    }

    [Fact]
    public void Header_reads_jpeg_exif_orientation()
    {
        var bytes = JpegExif.WithOrientation(Encode(".jpg", 40, 30), 6, bigEndian: true);
        Assert.Equal(new ImageHeader(ImageFormat.Jpeg, 40, 30, 6), ImageHeader.TryRead(bytes));
    }

    [Fact]
    public void Header_reads_dimensions_a_png_claims_without_pixels()
    {
        Assert.Equal(new ImageHeader(ImageFormat.Png, 50000, 50000, 1), ImageHeader.TryRead(PngClaiming(50000, 50000)));
    }

    public static TheoryData<string, byte[]> NotImages => new()
    {
        { "empty", [] },
        { "text", "hello, this is not an image at all"u8.ToArray() },
        { "PNG signature only", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] },
        { "PNG without IHDR first", PngWithChunk("IDAT"u8) },
        { "JPEG SOI then garbage", [0xFF, 0xD8, 0xFF, 0xE0, 0x00] },
        { "JPEG segment longer than the file", [0xFF, 0xD8, 0xFF, 0xE0, 0x40, 0x00, 0x01, 0x02] },
        { "JPEG scan before frame header", [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x00, 0x00] },
        { "BMP with zero width", BmpHeader(0, 10) },
        { "RIFF but not WEBP", "RIFF\0\0\0\0WAVEfmt ........................"u8.ToArray() },
        { "GIF", [.. "GIF89a"u8, 1, 0, 1, 0, 0, 0, 0, (byte)',', 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 1, 0, (byte)';'] },
    };

    [Theory]
    [MemberData(nameof(NotImages))]
    public void Header_is_null_for_unsupported_or_malformed_bytes(string what, byte[] bytes)
    {
        Assert.True(ImageHeader.TryRead(bytes) is null, what);
    }

    [Fact]
    public void Header_is_null_for_every_truncation_of_a_jpeg_header()
    {
        var bytes = JpegExif.WithOrientation(Encode(".jpg", 40, 30), 3, bigEndian: false);
        int sof = IndexOfMarker(bytes, 0xC0);
        // Cut anywhere before the frame header's size fields: never a wrong size, never an exception.
        for (int length = 0; length < sof + 9; length++)
            Assert.Null(ImageHeader.TryRead(bytes.AsSpan(0, length)));
    }

    internal static byte[] PngClaiming(int width, int height)
    {
        var bytes = PngWithChunk("IHDR"u8);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(16), (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(20), (uint)height);
        return bytes;
    }

    private static byte[] PngWithChunk(ReadOnlySpan<byte> type)
    {
        // Signature, then one chunk: length 13, type, 13 data bytes (8-bit RGB), CRC (not checked by the sniffer).
        var bytes = new byte[8 + 4 + 4 + 13 + 4];
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }.CopyTo(bytes, 0);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(8), 13);
        type.CopyTo(bytes.AsSpan(12));
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(16), 1);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(20), 1);
        bytes[24] = 8;
        bytes[25] = 2;
        return bytes;
    }

    private static byte[] BmpHeader(int width, int height)
    {
        var bytes = new byte[54];
        bytes[0] = (byte)'B';
        bytes[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(22), height);
        return bytes;
    }

    private static void WriteU24(Span<byte> at, int value)
    {
        at[0] = (byte)value;
        at[1] = (byte)(value >> 8);
        at[2] = (byte)(value >> 16);
    }

    private static int IndexOfMarker(byte[] bytes, byte marker)
    {
        for (int i = 0; i + 1 < bytes.Length; i++)
            if (bytes[i] == 0xFF && bytes[i + 1] == marker) return i;
        throw new InvalidDataException($"marker FF{marker:X2} not found");
    }
}
