using MakeupApi.Evaluation;
using MakeupApi.Pipeline;
using MakeupApi.Tests.Support;
using MakeupApi.Transfer;
using MakeupApi.Transfer.Classical;

namespace MakeupApi.Tests.Pipeline;

/// <summary>
/// The real pipeline (classical engine, default options) built on the shared face models, plus every photo of the
/// shared makeup set prepared once: the pair tests then run only the per-pair stages (pose, transfer, colour, paste).
/// </summary>
public sealed class PipelineFixture : IDisposable
{
    public ModelFixture Models { get; } = new();
    public MakeupPipeline Pipeline { get; }
    public IReadOnlyList<PreparedPhoto> Bare { get; }
    public IReadOnlyList<PreparedPhoto> Makeup { get; }
    public IReadOnlyList<string> NotFound { get; }

    public PipelineFixture()
    {
        Pipeline = MakeupPipeline.Create(Models.Analyzer, [new ClassicalMakeupEngine()]);
        var notFound = new List<string>();
        Bare = PairEvaluation.Prepare(Pipeline, Models.Analyzer, TestPhotos.MakeupSet("non-makeup"), notFound);
        Makeup = PairEvaluation.Prepare(Pipeline, Models.Analyzer, TestPhotos.MakeupSet("makeup"), notFound);
        NotFound = notFound;
    }

    public IMakeupEngine Classical => Pipeline.Engine(EngineChoice.Classical);

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
