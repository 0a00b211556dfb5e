using MakeupApi.Pipeline;
using MakeupApi.Tests.Support;
using MakeupApi.Transfer;
using MakeupApi.Transfer.Classical;
using OpenCvSharp;

namespace MakeupApi.Tests.Pipeline;

[Collection(ModelCollection.Name)]
public sealed class IntensityTests(ModelFixture models)
{
    private static byte[] Png(string path)
    {
        using var image = TestPhotos.Read(path);
        return image.ImEncode(".png");
    }

    private static int DifferingPixels(byte[] a, byte[] b)
    {
        using var ma = Cv2.ImDecode(a, ImreadModes.Color);
        using var mb = Cv2.ImDecode(b, ImreadModes.Color);
        Assert.Equal(ma.Size(), mb.Size());
        using var diff = new Mat();
        Cv2.Absdiff(ma, mb, diff);
        return Cv2.CountNonZero(diff.Reshape(1));
    }

    [Fact]
    public void Intensity_zero_returns_the_source_photo_pixel_for_pixel()
    {
        var pipeline = MakeupPipeline.Create(models.Analyzer, [new ClassicalMakeupEngine()]);
        var source = Png(TestPhotos.MakeupSet("non-makeup")[1]);
        var reference = Png(TestPhotos.MakeupSet("makeup")[1]);

        var none = pipeline.Transfer(source, reference, new TransferOptions { Intensity = 0 }, CancellationToken.None);
        Assert.Equal(0, DifferingPixels(source, none.Image));

        // and a region at strength 0 with the others on still changes the photo: the short-circuit is only for "nothing".
        var lipsOnly = pipeline.Transfer(source, reference,
            new TransferOptions { Regions = new RegionStrengths(Lips: 1, Eyes: 0, Brows: 0, Skin: 0) }, CancellationToken.None);
        Assert.True(DifferingPixels(source, lipsOnly.Image) > 0);
    }
}
