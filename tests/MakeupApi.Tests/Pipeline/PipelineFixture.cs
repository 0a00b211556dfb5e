using System.Collections.Concurrent;
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

    /// <summary>
    /// Every bare x makeup pair through the classical engine at intensity 1 with every region, measured once (about
    /// three minutes on 2 cores) and shared by the behaviour tests; ordered by source, then reference.
    /// </summary>
    public IReadOnlyList<PairMeasurement> ClassicalPairs => _classicalPairs.Value;

    private readonly Lazy<IReadOnlyList<PairMeasurement>> _classicalPairs;

    public PipelineFixture()
    {
        Pipeline = MakeupPipeline.Create(Models.Analyzer, [new ClassicalMakeupEngine()]);
        var notFound = new List<string>();
        Bare = PairEvaluation.Prepare(Pipeline, Models.Analyzer, TestPhotos.MakeupSet("non-makeup"), notFound);
        Makeup = PairEvaluation.Prepare(Pipeline, Models.Analyzer, TestPhotos.MakeupSet("makeup"), notFound);
        NotFound = notFound;
        _classicalPairs = new Lazy<IReadOnlyList<PairMeasurement>>(MeasureClassicalPairs);
    }

    private List<PairMeasurement> MeasureClassicalPairs()
    {
        var results = new ConcurrentBag<PairMeasurement>();
        var pairs = Bare.SelectMany(s => Makeup.Select(r => (s, r))).ToList();
        Parallel.ForEach(pairs, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            pair => results.Add(PairEvaluation.Measure(Pipeline, Models.Analyzer, Classical, pair.s, pair.r, RegionStrengths.All)));
        return results.OrderBy(r => r.Source, StringComparer.Ordinal).ThenBy(r => r.Reference, StringComparer.Ordinal).ToList();
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
