using System.Text;
using MakeupApi.Imaging;
using MakeupApi.Tests.Support;
using OpenCvSharp;

namespace MakeupApi.Tests.Imaging;

/// <summary>Our PNG writer produces files that OpenCV's libpng decodes back to the exact pixels.</summary>
public sealed class PngEncoderTests
{
    [Fact]
    public void Crc32_matches_the_standard_check_value_and_the_bitwise_definition()
    {
        // The CRC-32 check value of "123456789" (ISO 3309 / zlib / PNG).
        Assert.Equal(0xCBF43926u, Crc32.Compute(Encoding.ASCII.GetBytes("123456789")));
        var random = new Random(7);
        foreach (int length in new[] { 0, 1, 3, 4, 5, 63, 1000 })
        {
            var data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(Crc32.ComputeBitwise(data), Crc32.Compute(data));
        }
    }

    [Fact]
    public void Adler32_matches_its_definition_and_combines_consecutive_pieces()
    {
        // RFC 1950's example value: Adler-32 of "Wikipedia" is 0x11E60398.
        Assert.Equal(0x11E60398u, Adler32.Update(1, Encoding.ASCII.GetBytes("Wikipedia")));
        var data = new byte[20000];
        new Random(3).NextBytes(data);
        uint a = 1, b = 0; // the definition, one byte at a time
        foreach (var x in data) { a = (a + x) % 65521; b = (b + a) % 65521; }
        Assert.Equal((b << 16) | a, Adler32.Update(1, data));
        foreach (int split in new[] { 0, 1, 5552, 12345, 20000 })
        {
            uint head = Adler32.Update(1, data.AsSpan(0, split)), tail = Adler32.Update(1, data.AsSpan(split));
            Assert.Equal(Adler32.Update(1, data), Adler32.Combine(head, tail, data.Length - split));
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1024, 1024)]
    [InlineData(3, 7)]
    [InlineData(257, 129)]
    public void Random_pixels_of_any_size_decode_back_exactly(int width, int height)
    {
        using var image = new Mat(height, width, MatType.CV_8UC3);
        Cv2.Randu(image, Scalar.All(0), Scalar.All(256));
        AssertRoundTrip(image);
    }

    [Fact]
    public void A_real_photo_decodes_back_exactly_and_is_compressed()
    {
        using var photo = Cv2.ImRead(TestPhotos.MakeupSet("makeup").First(), ImreadModes.Color);
        var bytes = AssertRoundTrip(photo);
        Assert.True(bytes.Length < photo.Total() * 3, $"{bytes.Length} bytes for {photo.Total() * 3} bytes of pixels");
    }

    [Fact]
    public void A_region_of_a_larger_image_is_written_row_by_row()
    {
        using var image = new Mat(40, 60, MatType.CV_8UC3);
        Cv2.Randu(image, Scalar.All(0), Scalar.All(256));
        using var part = image[new Rect(5, 3, 31, 17)]; // not continuous in memory
        AssertRoundTrip(part);
    }

    [Fact]
    public void Only_8_bit_three_channel_images_are_accepted()
    {
        using var grey = new Mat(4, 4, MatType.CV_8UC1, Scalar.All(0));
        Assert.Throws<ArgumentException>(() => PngEncoder.Encode(grey));
    }

    private static byte[] AssertRoundTrip(Mat image)
    {
        var bytes = PngEncoder.Encode(image);
        using var decoded = Cv2.ImDecode(bytes, ImreadModes.Unchanged);
        Assert.Equal(MatType.CV_8UC3, decoded.Type());
        Assert.Equal(image.Size(), decoded.Size());
        using var diff = new Mat();
        Cv2.Absdiff(image, decoded, diff);
        Assert.Equal(0, Cv2.CountNonZero(diff.Reshape(1)));
        return bytes;
    }
}
