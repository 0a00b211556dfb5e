using MakeupApi.Evaluation;
using MakeupApi.Onnx;
using MakeupApi.Pipeline;
using MakeupApi.Tests.Support;
using MakeupApi.Transfer;
using MakeupApi.Transfer.Classical;
using MakeupApi.Transfer.Generator;
using OpenCvSharp;

namespace MakeupApi.Tests.Transfer;

/// <summary>
/// The generator engine serves what training/ exports. tests/run-all.sh trains a few CPU steps and hands that export
/// over in MAKEUPAPI_SMOKE_GENERATOR; without it the test uses the committed onnx-models/psgan-generator.onnx, which
/// the same export code wrote. Either way a real export is loaded and run: no stand-in.
/// </summary>
[Collection(ModelCollection.Name)]
public sealed class GeneratorMakeupEngineTests(ModelFixture models)
{
    private static string ExportPath(ModelOptions options) =>
        Environment.GetEnvironmentVariable("MAKEUPAPI_SMOKE_GENERATOR") is { Length: > 0 } smoke ? smoke : options.Resolve(options.Generator);

    [Fact]
    public void Generator_engine_loads_a_training_export_and_runs_it_on_a_real_pair_leaving_the_background_eyeballs_and_mouth_interior_untouched()
    {
        var path = ExportPath(models.Models);
        Assert.True(File.Exists(path), $"No generator export at {path}: run tests/run-all.sh (it exports one) or train one (training/README.md).");
        using var engine = new GeneratorMakeupEngine(new OnnxModel(GeneratorMakeupEngine.ModelName, path, models.Models));
        Assert.Equal("generator", engine.Name);

        var pipeline = MakeupPipeline.Create(models.Analyzer, [new ClassicalMakeupEngine(), engine]);
        var notFound = new List<string>();
        var photos = PairEvaluation.Prepare(pipeline, models.Analyzer,
            [TestPhotos.MakeupSet("non-makeup")[0], TestPhotos.MakeupSet("makeup")[0]], notFound);
        try
        {
            Assert.Empty(notFound);
            var (source, reference) = (photos[0], photos[1]);
            Assert.Same(engine, pipeline.Engine(EngineChoice.Generator));

            // Through the whole per-pair pipeline: the photo outside the face stays untouched. (Nothing is asserted of
            // the makeup itself: the smoke export has trained for a few steps only.)
            var m = PairEvaluation.Measure(pipeline, models.Analyzer, engine, source, reference, RegionStrengths.All);
            Assert.Equal(0, m.ChangedOutsideFace);

            // The crop it returns is the working size, and zero strength returns the source crop untouched.
            using var warped = new PoseCorrection.TriangulationWarp(models.Mapping.MirrorIndex).Warp(source.Aligned, reference.Aligned);
            using var crop = engine.Transfer(source.Aligned, warped, RegionStrengths.All);
            Assert.Equal(source.Aligned.Image.Size(), crop.Size());
            // The eyeballs and the mouth's interior keep the source's pixels, whatever the network paints there.
            using (var regions = FaceRegions.Build(source.Aligned.Labels, source.Aligned.Ibug68))
            using (var unprotected = new Mat())
            {
                Assert.True(Cv2.CountNonZero(regions.Protect) > 0);
                Cv2.BitwiseNot(regions.Protect, unprotected);
                Assert.Equal(0, TransferMetrics.ChangedPixelsOutside(crop, source.Aligned.Image, unprotected));
            }
            using var none = engine.Transfer(source.Aligned, warped, new RegionStrengths(0, 0, 0, 0));
            using var diff = new Mat();
            Cv2.Absdiff(none, source.Aligned.Image, diff);
            Assert.Equal(0, Cv2.CountNonZero(diff.Reshape(1)));
        }
        finally
        {
            foreach (var p in photos) p.Dispose();
        }
    }

    [Fact]
    public void A_model_that_is_not_a_generator_is_refused_at_load_with_its_name()
    {
        var facemesh = models.Models.Resolve(models.Models.FaceMesh);
        var e = Assert.Throws<InvalidDataException>(() =>
            new GeneratorMakeupEngine(new OnnxModel(GeneratorMakeupEngine.ModelName, facemesh, models.Models)));
        Assert.Contains("facemesh.onnx", e.Message);
    }
}
