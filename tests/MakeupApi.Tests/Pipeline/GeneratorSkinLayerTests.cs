using MakeupApi.Evaluation;
using MakeupApi.Onnx;
using MakeupApi.Transfer;
using MakeupApi.Transfer.Generator;
using Xunit.Abstractions;

namespace MakeupApi.Tests.Pipeline;

/// <summary>
/// The committed generator's change on the plain skin taken as one smooth layer (<see cref="FoundationLayer"/>,
/// README "The generator's skin as one layer"), on real photos through the whole per-pair pipeline.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class GeneratorSkinLayerTests(PipelineFixture fixture, ITestOutputHelper output)
{
    /// <summary>
    /// The six pairs of the 100 reported ones (`compare-engines --pairs 100`) on which the network carried the most
    /// lipstick onto the skin round the lips without the layer: the skin 1.5-4% of the crop outside the lips changed by
    /// 2.9 to 4.1 dE more than the rest of the skin (<see cref="SurroundChange.Excess"/>). Chosen for that, so this is
    /// a regression check on known faults, not an estimate (README gives the 100-pair and 400-pair figures).
    /// </summary>
    private static readonly (string Source, string Reference)[] WidestSpill =
    [
        ("xfsy_0521", "10050"), ("xfsy_0503", "10050"), ("xfsy_0129", "10028"),
        ("xfsy_0405", "vFG839"), ("xfsy_0202", "XMY-136"), ("xfsy_0058", "10028"),
    ];

    /// <summary>
    /// Without the layer those pairs' median excess (the third of the six, as <see cref="TransferBehaviourTests.Percentile"/>
    /// takes it) measured 3.39 dE, with it 1.65; the bar sits between, at 2.6. The lips keep what the network painted:
    /// their movement toward the reference's may not drop by more than a point (measured 91.3% -> 91.4%).
    /// </summary>
    [Fact]
    public void The_generator_keeps_lipstick_it_carried_past_the_lip_line_off_the_skin_and_the_lips_keep_their_colour()
    {
        var models = fixture.Models.Models;
        var path = models.Resolve(models.Generator);
        using var layered = new GeneratorMakeupEngine(new OnnxModel(GeneratorMakeupEngine.ModelName, path, models));
        using var asMade = new GeneratorMakeupEngine(new OnnxModel(GeneratorMakeupEngine.ModelName, path, models), foundationSigma: 0);
        var pairs = WidestSpill.Select(p => (Source: fixture.Bare.Single(b => b.Name == p.Source), Reference: fixture.Makeup.Single(m => m.Name == p.Reference))).ToList();

        (double Excess, double Lips) Medians(IMakeupEngine engine)
        {
            var measured = pairs.Select(p => PairEvaluation.Measure(fixture.Pipeline, fixture.Models.Analyzer, engine, p.Source, p.Reference, RegionStrengths.All)).ToList();
            Assert.All(measured, m => Assert.NotNull(m.LipSurround));
            return (TransferBehaviourTests.Percentile([.. measured.Select(m => m.LipSurround!.Value.Excess).Order()], 0.5),
                    TransferBehaviourTests.Percentile([.. measured.Select(m => m.Lips!.Value.Fraction).Order()], 0.5));
        }
        var before = Medians(asMade);
        var now = Medians(layered);
        output.WriteLine($"{pairs.Count} pairs, medians without -> with the skin layer: skin round the lips above the rest {before.Excess:F2} -> {now.Excess:F2} dE; " +
                         $"lips moved {before.Lips:P1} -> {now.Lips:P1}");
        Assert.True(now.Excess <= 2.6, $"The skin round the lips changed {now.Excess:F2} dE more than the rest of the skin (median of {pairs.Count} pairs).");
        Assert.True(now.Excess < before.Excess, $"With the layer {now.Excess:F2} dE round the lips, without it {before.Excess:F2}.");
        Assert.True(now.Lips >= before.Lips - 0.01, $"The lips moved {now.Lips:P1} with the layer, {before.Lips:P1} without.");
    }
}
