using MakeupApi.FaceAnalysis;
using MakeupApi.FaceAnalysis.Detection;
using MakeupApi.Tests.Support;
using Xunit.Abstractions;

namespace MakeupApi.Tests.FaceAnalysis;

[Collection(ModelCollection.Name)]
public sealed class MultiFaceTests(ModelFixture models, ITestOutputHelper output)
{
    // Face counts checked by eye on face-api's demo photos (1920 px wide group shots, faces 140-250 px): every visible
    // face, none in posters or in the background. sample2's left face is a near-profile; sample5 has 5 faces on stairs.
    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 3)]
    [InlineData(3, 3)]
    [InlineData(4, 4)]
    [InlineData(5, 5)]
    [InlineData(6, 4)]
    public void Every_face_in_a_group_photo_is_found_once(int sample, int faces)
    {
        using var photo = TestPhotos.Read(TestPhotos.FaceApiSample(sample));
        var found = models.Analyzer.FindFaces(photo);
        foreach (var f in found)
            output.WriteLine($"box {f.Detection.Box.X:F0},{f.Detection.Box.Y:F0} {f.Detection.Box.Width:F0}x{f.Detection.Box.Height:F0}" +
                             $" score {f.Detection.Score:F2} presence {f.Presence:F2} eye distance {f.OuterEyeDistance:F0} px");

        Assert.Equal(faces, found.Count);
        // Once: no two results on the same face (boxes apart), and each is big enough for the pipeline.
        for (int i = 0; i < found.Count; i++)
            for (int j = i + 1; j < found.Count; j++)
                Assert.True(WeightedNonMaxSuppression.Iou(found[i].Detection.Box, found[j].Detection.Box) < 0.1, $"faces {i} and {j} overlap");
        Assert.All(found, f => Assert.True(f.Detection.Box.Width >= models.Options.MinFaceSize));
        // Largest first, the order the API's face index uses.
        Assert.Equal(found.OrderByDescending(f => f.Detection.Box.Width * f.Detection.Box.Height), found);
    }
}
