using MakeupApi.Evaluation;

namespace MakeupApi.Tests.Unit.Evaluation;

public sealed class TrainingSetIndexTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("training-index-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string WriteIndex(string json)
    {
        var path = Path.Combine(_folder, "index.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Photos_named_in_the_index_are_used_and_others_are_not()
    {
        // Ids as prepare-training-data writes them: the dataset prefix, then the photo's file name.
        var ids = new[]
        {
            TrainingSetIndex.FaceId("he", "/data/landmarks/helen-train/100032540_1.jpg"),
            TrainingSetIndex.FaceId("nm", "/data/makeup/images/non-makeup/vSYYZ306.png"),
            TrainingSetIndex.FaceId("po", "/data/poses/fasseg-v3/personne01146p0p0.jpg"),
        };
        var index = TrainingSetIndex.Load(WriteIndex(
            "{\"size\":256,\"faces\":[" + string.Join(',', ids.Select(id => $"{{\"id\":\"{id}\",\"kind\":\"x\"}}")) + "],\"pairs\":[]}"));

        Assert.Equal(3, index.Count);
        Assert.True(index.Used("/elsewhere/helen-train/100032540_1.jpg"));
        Assert.True(index.Used("vSYYZ306.png"));
        Assert.True(index.Used("/data/poses/fasseg-v3/personne01146p0p0.jpg"));
        Assert.False(index.Used("/data/landmarks/helen-train/100040721_1.jpg"));
        Assert.False(index.Used("/data/poses/fasseg-v3/personne01146p0p15.jpg"));
    }

    [Fact]
    public void A_name_keeps_underscores_after_the_prefix()
    {
        Assert.Equal("he_100032540_1", TrainingSetIndex.FaceId("he", "x/100032540_1.jpg"));
        var index = TrainingSetIndex.Load(WriteIndex("{\"faces\":[{\"id\":\"he_100032540_1\"}]}"));
        Assert.True(index.Used("100032540_1.jpg"));
        Assert.False(index.Used("1.jpg"));
        Assert.False(index.Used("he_100032540_1.jpg"));
    }

    [Fact]
    public void A_file_that_is_not_a_training_index_is_refused_with_the_reason()
    {
        var noFaces = Assert.Throws<InvalidDataException>(() => TrainingSetIndex.Load(WriteIndex("{\"pairs\":[]}")));
        Assert.Contains("faces", noFaces.Message);
        var badId = Assert.Throws<InvalidDataException>(() => TrainingSetIndex.Load(WriteIndex("{\"faces\":[{\"id\":\"noprefix\"}]}")));
        Assert.Contains("noprefix", badId.Message);
        Assert.Throws<InvalidDataException>(() => TrainingSetIndex.Load(WriteIndex("{\"faces\":[{\"id\":7}]}")));
        Assert.Throws<InvalidDataException>(() => TrainingSetIndex.Load(WriteIndex("{\"faces\":[\"he_1\"]}")));
        Assert.Throws<FileNotFoundException>(() => TrainingSetIndex.Load(Path.Combine(_folder, "missing.json")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("h_e")]
    public void A_prefix_must_be_one_word(string prefix) =>
        Assert.Throws<ArgumentException>(() => TrainingSetIndex.FaceId(prefix, "a.jpg"));
}
