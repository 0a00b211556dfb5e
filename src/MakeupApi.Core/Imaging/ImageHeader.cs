using System.Buffers.Binary;

namespace MakeupApi.Imaging;

public enum ImageFormat { Jpeg, Png, WebP, Bmp }

/// <summary>
/// What the file's own header says, read before any pixel is decoded, so that a tiny file claiming
/// gigapixel dimensions (a decompression bomb) is refused without allocating anything.
/// </summary>
public readonly record struct ImageHeader(ImageFormat Format, int Width, int Height, int ExifOrientation)
{
    public long PixelCount => (long)Width * Height;

    /// <summary>Sniffs the format from magic bytes and reads the dimensions; null when the bytes are not a supported image.</summary>
    public static ImageHeader? TryRead(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 24 && data[..8].SequenceEqual(PngSignature))
        {
            // PNG: the IHDR chunk always comes first (PNG spec, section 5.6); width/height are big-endian at 16 and 20.
            if (!data.Slice(12, 4).SequenceEqual("IHDR"u8)) return null;
            return new ImageHeader(ImageFormat.Png,
                (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(data[16..])),
                (int)Math.Min(int.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(data[20..])), 1);
        }
        if (data.Length >= 4 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
            return ReadJpeg(data);
        if (data.Length >= 30 && data[..4].SequenceEqual("RIFF"u8) && data.Slice(8, 4).SequenceEqual("WEBP"u8))
            return ReadWebP(data);
        if (data.Length >= 26 && data[0] == (byte)'B' && data[1] == (byte)'M')
        {
            // BITMAPINFOHEADER: signed 32-bit width/height at 18 and 22; a negative height means top-down rows.
            int w = BinaryPrimitives.ReadInt32LittleEndian(data[18..]);
            int h = BinaryPrimitives.ReadInt32LittleEndian(data[22..]);
            if (w <= 0 || h == 0 || h == int.MinValue) return null;
            return new ImageHeader(ImageFormat.Bmp, w, Math.Abs(h), 1);
        }
        return null;
    }

    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static ImageHeader? ReadJpeg(ReadOnlySpan<byte> data)
    {
        int orientation = 1;
        int pos = 2;
        while (pos + 4 <= data.Length)
        {
            if (data[pos] != 0xFF) return null;
            byte marker = data[pos + 1];
            if (marker == 0xFF) { pos++; continue; } // fill bytes
            if (marker is 0xD8 or 0x01 || marker is >= 0xD0 and <= 0xD7) { pos += 2; continue; }
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 2)..]);
            if (length < 2 || pos + 2 + length > data.Length) return null;
            var segment = data.Slice(pos + 4, length - 2);
            if (marker == 0xE1 && segment.Length > 6 && segment[..6].SequenceEqual("Exif\0\0"u8))
                orientation = ExifReader.ReadOrientation(segment[6..]);
            // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size (ITU T.81, B.2.2).
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                if (segment.Length < 5) return null;
                int h = BinaryPrimitives.ReadUInt16BigEndian(segment[1..]);
                int w = BinaryPrimitives.ReadUInt16BigEndian(segment[3..]);
                if (w == 0 || h == 0) return null;
                return new ImageHeader(ImageFormat.Jpeg, w, h, orientation);
            }
            if (marker == 0xDA) return null; // start of scan before any frame header: malformed
            pos += 2 + length;
        }
        return null;
    }

    private static ImageHeader? ReadWebP(ReadOnlySpan<byte> data)
    {
        // RIFF container, first chunk at 12 (Google's WebP container specification).
        var chunk = data.Slice(12, 4);
        var body = data[20..];
        if (chunk.SequenceEqual("VP8 "u8) && body.Length >= 10)
            return new ImageHeader(ImageFormat.WebP,
                BinaryPrimitives.ReadUInt16LittleEndian(body[6..]) & 0x3FFF,
                BinaryPrimitives.ReadUInt16LittleEndian(body[8..]) & 0x3FFF, 1);
        if (chunk.SequenceEqual("VP8L"u8) && body.Length >= 5)
        {
            uint bits = BinaryPrimitives.ReadUInt32LittleEndian(body[1..]);
            return new ImageHeader(ImageFormat.WebP, (int)(bits & 0x3FFF) + 1, (int)((bits >> 14) & 0x3FFF) + 1, 1);
        }
        if (chunk.SequenceEqual("VP8X"u8) && body.Length >= 10)
        {
            int w = 1 + (body[4] | body[5] << 8 | body[6] << 16);
            int h = 1 + (body[7] | body[8] << 8 | body[9] << 16);
            return new ImageHeader(ImageFormat.WebP, w, h, 1);
        }
        return null;
    }
}

/// <summary>Reads the Orientation tag (0x0112) from a TIFF-structured EXIF block (EXIF 2.32, section 4.6.4).</summary>
internal static class ExifReader
{
    public static int ReadOrientation(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8) return 1;
        bool little = tiff[0] == (byte)'I' && tiff[1] == (byte)'I';
        bool big = tiff[0] == (byte)'M' && tiff[1] == (byte)'M';
        if (!little && !big) return 1;
        uint ifd = U32(tiff, 4, little);
        if (ifd + 2 > (uint)tiff.Length) return 1;
        int count = U16(tiff, (int)ifd, little);
        for (int i = 0; i < count; i++)
        {
            int entry = (int)ifd + 2 + i * 12;
            if (entry + 12 > tiff.Length) return 1;
            if (U16(tiff, entry, little) != 0x0112) continue;
            int value = U16(tiff, entry + 8, little);
            return value is >= 1 and <= 8 ? value : 1;
        }
        return 1;
    }

    private static int U16(ReadOnlySpan<byte> s, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(s[at..]) : BinaryPrimitives.ReadUInt16BigEndian(s[at..]);

    private static uint U32(ReadOnlySpan<byte> s, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(s[at..]) : BinaryPrimitives.ReadUInt32BigEndian(s[at..]);
}
