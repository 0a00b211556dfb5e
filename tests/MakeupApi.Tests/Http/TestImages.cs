using System.Buffers.Binary;
using System.Text;
using MakeupApi.Evaluation;
using OpenCvSharp;

namespace MakeupApi.Tests.Http;

internal static class TestImages
{
    /// <summary>A flat grey PNG: a valid image with no face in it.</summary>
    public static byte[] GreyPng(int width = 256, int height = 256)
    {
        using var mat = new Mat(height, width, MatType.CV_8UC3, Scalar.All(128));
        return mat.ImEncode(".png");
    }

    /// <summary>A PNG of noise, so its size is predictable enough to exceed small byte limits.</summary>
    public static byte[] NoisePng(int width, int height)
    {
        using var mat = new Mat(height, width, MatType.CV_8UC3);
        Cv2.Randu(mat, Scalar.All(0), Scalar.All(255));
        return mat.ImEncode(".png");
    }

    /// <summary>
    /// A well-formed 57-byte PNG whose IHDR claims <paramref name="width"/> x <paramref name="height"/> pixels
    /// (a decompression bomb's header; there is no pixel data behind it).
    /// </summary>
    public static byte[] PngHeaderOnly(uint width, uint height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 2;  // colour type: truecolour
        using var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(ms, "IHDR", ihdr);
        WriteChunk(ms, "IEND", []);
        return ms.ToArray();
    }

    /// <summary>A PNG with a valid signature and IHDR (256x256) followed by garbage instead of image data.</summary>
    public static byte[] CorruptPng()
    {
        var header = PngHeaderOnly(256, 256);
        var bytes = new byte[header.Length + 4096];
        header.AsSpan(0, 33).CopyTo(bytes); // signature + IHDR; IEND replaced by junk
        new Random(42).NextBytes(bytes.AsSpan(33));
        return bytes;
    }

    public static string SharedImages => Path.Combine(SharedData.Locate(), "makeup", "images");

    public static byte[] NonMakeupPhoto(int index = 0) => Photo("non-makeup", index);
    public static byte[] MakeupPhoto(int index = 0) => Photo("makeup", index);

    private static byte[] Photo(string folder, int index)
    {
        var dir = Path.Combine(SharedImages, folder);
        var files = Directory.GetFiles(dir, "*.png").Order(StringComparer.Ordinal).ToArray();
        Assert.True(files.Length > index, $"Expected at least {index + 1} PNG photos in {dir}.");
        return File.ReadAllBytes(files[index]);
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> u32 = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(u32, (uint)data.Length);
        stream.Write(u32);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        stream.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(u32, Crc32(typed));
        stream.Write(u32);
    }

    /// <summary>The PNG chunk CRC (ISO 3309 / ITU-T V.42 polynomial, reflected).</summary>
    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
