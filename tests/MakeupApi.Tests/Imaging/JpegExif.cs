using System.Buffers.Binary;

namespace MakeupApi.Tests.Imaging;

/// <summary>Writes an EXIF APP1 segment carrying only the Orientation tag into a JPEG, as cameras and phones do.</summary>
internal static class JpegExif
{
    /// <summary>A TIFF block (EXIF 2.32, 4.5.2): byte order, 42, offset 8 of IFD0, one entry Orientation (0x0112, SHORT).</summary>
    public static byte[] Tiff(int orientation, bool bigEndian, bool includeOrientation = true)
    {
        var tiff = new byte[8 + 2 + 12 + 4];
        var s = tiff.AsSpan();
        tiff[0] = tiff[1] = bigEndian ? (byte)'M' : (byte)'I';
        U16(s[2..], 42, bigEndian);
        U32(s[4..], 8, bigEndian);
        U16(s[8..], 1, bigEndian);
        U16(s[10..], includeOrientation ? (ushort)0x0112 : (ushort)0x010F, bigEndian); // 0x010F = Make, i.e. "no orientation"
        U16(s[12..], 3, bigEndian);          // type SHORT
        U32(s[14..], 1, bigEndian);          // count 1
        U16(s[18..], (ushort)orientation, bigEndian); // a SHORT value sits left-justified in the 4-byte value field
        return tiff;                         // next-IFD offset (last 4 bytes) stays 0
    }

    /// <summary>The JPEG with an APP1 "Exif" segment inserted right after SOI (EXIF 2.32, 4.5.4: APP1 follows SOI).</summary>
    public static byte[] WithOrientation(byte[] jpeg, int orientation, bool bigEndian)
    {
        if (jpeg[0] != 0xFF || jpeg[1] != 0xD8) throw new ArgumentException("not a JPEG", nameof(jpeg));
        var tiff = Tiff(orientation, bigEndian);
        var app1 = new byte[4 + 6 + tiff.Length];
        app1[0] = 0xFF;
        app1[1] = 0xE1;
        BinaryPrimitives.WriteUInt16BigEndian(app1.AsSpan(2), (ushort)(app1.Length - 2)); // length counts itself, not the marker
        "Exif\0\0"u8.CopyTo(app1.AsSpan(4));
        tiff.CopyTo(app1, 10);
        return [.. jpeg.AsSpan(0, 2), .. app1, .. jpeg.AsSpan(2)];
    }

    private static void U16(Span<byte> at, ushort value, bool bigEndian)
    {
        if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(at, value);
        else BinaryPrimitives.WriteUInt16LittleEndian(at, value);
    }

    private static void U32(Span<byte> at, uint value, bool bigEndian)
    {
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(at, value);
        else BinaryPrimitives.WriteUInt32LittleEndian(at, value);
    }
}
