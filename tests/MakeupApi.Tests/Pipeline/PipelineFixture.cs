using MakeupApi.Alignment;
using MakeupApi.Compositing;
using MakeupApi.FaceAnalysis;
using MakeupApi.FaceAnalysis.Parsing;
using MakeupApi.Imaging;
using MakeupApi.Pipeline;
using MakeupApi.PoseCorrection;
using MakeupApi.Tests.Support;
using MakeupApi.Transfer;
using MakeupApi.Transfer.Classical;
using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace MakeupApi.Tests.Pipeline;

/// <summary>A photo of the shared makeup set, decoded, with its face found and aligned once for all tests.</summary>
public sealed class PreparedPhoto(string name, Mat image, FaceLandmarks face, AlignedFace aligned) : IDisposable
{
    public string Name { get; } = name;
    public Mat Image { get; } = image;
    public FaceLandmarks Face { get; } = face;
    public AlignedFace Aligned { get; } = aligned;

    public void Dispose()
    {
        Image.Dispose();
        Aligned.Dispose();
    }
}

/// <summary>
/// The real pipeline (classical engine, default options) built on the shared face models, plus every photo of the
/// shared makeup set prepared once: the pair tests then run only the per-pair stages (pose, transfer, colour, paste).
/// </summary>
public sealed class PipelineFixture : IDisposable
{
    public ModelFixture Models { get; } = new();
    public MakeupPipeline Pipeline { get; }
    public PipelineOptions Options { get; } = new();
    public IReadOnlyList<PreparedPhoto> Bare { get; }
    public IReadOnlyList<PreparedPhoto> Makeup { get; }
    public IReadOnlyList<string> NotFound { get; }

    public PipelineFixture()
    {
        Pipeline = new MakeupPipeline(Models.Analyzer, new FaceParser(), new TriangulationWarp(Models.Mapping.MirrorIndex),
            new ColorReturn(), new FacePaster(), [new ClassicalMakeupEngine()], Microsoft.Extensions.Options.Options.Create(new ImageLimits()),
            Microsoft.Extensions.Options.Options.Create(Options));
        var notFound = new List<string>();
        Bare = Prepare(TestPhotos.MakeupSet("non-makeup"), notFound);
        Makeup = Prepare(TestPhotos.MakeupSet("makeup"), notFound);
        NotFound = notFound;
    }

    public IMakeupEngine Classical => Pipeline.Engine(EngineChoice.Classical);

    private List<PreparedPhoto> Prepare(IReadOnlyList<string> paths, List<string> notFound)
    {
        var prepared = new List<PreparedPhoto>();
        foreach (var path in paths)
        {
            var image = TestPhotos.Read(path);
            var faces = Models.Analyzer.FindFaces(image);
            if (faces.Count == 0) { notFound.Add(Path.GetFileName(path)); image.Dispose(); continue; }
            prepared.Add(new PreparedPhoto(Path.GetFileNameWithoutExtension(path), image, faces[0], Pipeline.AlignAndParse(image, faces[0])));
        }
        return prepared;
    }

    public void Dispose()
    {
        foreach (var p in Bare.Concat(Makeup)) p.Dispose();
        Models.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<PipelineFixture>
{
    public const string Name = "Pipeline on the shared makeup set";
}
