using MakeupApi.Evaluation;
using MakeupApi.FaceAnalysis.Landmarks;
using MakeupApi.Tests.Support;
using OpenCvSharp;
using Xunit.Abstractions;

namespace MakeupApi.Tests.FaceAnalysis;

/// <summary>
/// Landmark accuracy on every annotated HELEN photo (landmarks/helen-train, 870 faces), with the 300-W measure: mean
/// point error over the outer-eye-corner distance (iBUG 36-45). The photos run once (detector, 2-pass mesh, iris) and
/// both tests read that run.
/// NOTE: the embedded mesh-to-68 mapping was FITTED on these same 870 photos, so the figures here are in-sample; the
/// held-out figures (fit on the even-numbered half, tested on the odd half) are in landmark-mapping.json's "fit" block
/// (inner-51 3.37%, all-68 4.41% for the mesh alone), and the iris test below refits on half for its comparison.
/// </summary>
[Collection(ModelCollection.Name)]
public sealed class HelenLandmarkTests(ModelFixture models, ITestOutputHelper output)
{
    private static readonly int[] EyePoints = Enumerable.Range(36, 12).ToArray();

    [Fact]
    public void Landmarks_on_helen_meet_nme_targets()
    {
        var run = HelenRun.Get(models);
        Assert.True(run.Missed.Count == 0, $"Annotated faces not found: {string.Join(", ", run.Missed)}");

        // What FaceAnalyzer ships: the mesh with the iris model's eyelids.
        double inner = run.Faces.Average(f => LandmarkMetrics.Nme(models.Mapping.ToIbug68(f.Refined), f.Truth, LandmarkMetrics.Inner51));
        double all = run.Faces.Average(f => LandmarkMetrics.Nme(models.Mapping.ToIbug68(f.Refined), f.Truth, LandmarkMetrics.All68));
        output.WriteLine($"HELEN {run.Faces.Count} faces, missed {run.Missed.Count}, {run.Seconds:F0} s");
        output.WriteLine($"NME (in-sample mapping, shipped pipeline with iris eyelids): inner-51 {inner:P2}, all-68 {all:P2}");
        output.WriteLine($"held-out figures from landmark-mapping.json (fitted on the mesh with iris eyelids, as shipped): {string.Join(", ", models.Mapping.Fit?.Select(kv => $"{kv.Key}={kv.Value}") ?? [])}");

        Assert.True(inner <= 0.045, $"inner-51 NME {inner:P2} > 4.5%");
        Assert.True(all <= 0.060, $"all-68 NME {all:P2} > 6.0%");
    }

    [Fact]
    public void Iris_eyelids_lower_the_eye_nme_on_helen()
    {
        var run = HelenRun.Get(models);
        var faces = run.Faces;

        // 1) With the shipped mapping (fitted on the mesh without iris, in-sample).
        double baseEye = faces.Average(f => LandmarkMetrics.Nme(models.Mapping.ToIbug68(f.Mesh), f.Truth, EyePoints));
        double irisEye = faces.Average(f => LandmarkMetrics.Nme(models.Mapping.ToIbug68(f.Refined), f.Truth, EyePoints));
        double baseInner = faces.Average(f => LandmarkMetrics.Nme(models.Mapping.ToIbug68(f.Mesh), f.Truth, LandmarkMetrics.Inner51));
        double irisInner = faces.Average(f => LandmarkMetrics.Nme(models.Mapping.ToIbug68(f.Refined), f.Truth, LandmarkMetrics.Inner51));
        output.WriteLine($"shipped mapping: eye 36-47 NME mesh {baseEye:P2} -> iris eyelids {irisEye:P2}; inner-51 {baseInner:P2} -> {irisInner:P2}");

        // 2) Held out, each variant with its own mapping fitted on the even-numbered faces, tested on the odd ones
        //    (the fit-landmarks protocol), so the iris variant is not judged with weights fitted for the plain mesh.
        var (heldBaseEye, heldBaseInner) = HeldOut(faces, f => f.Mesh);
        var (heldIrisEye, heldIrisInner) = HeldOut(faces, f => f.Refined);
        output.WriteLine($"held-out refit:  eye 36-47 NME mesh {heldBaseEye:P2} -> iris eyelids {heldIrisEye:P2}; inner-51 {heldBaseInner:P2} -> {heldIrisInner:P2}");

        Assert.True(irisEye < baseEye, $"iris eyelids did not lower the eye NME with the shipped mapping ({baseEye:P2} -> {irisEye:P2})");
        Assert.True(heldIrisEye < heldBaseEye, $"iris eyelids did not lower the held-out eye NME ({heldBaseEye:P2} -> {heldIrisEye:P2})");
        Assert.True(irisInner <= baseInner, $"iris eyelids raised the inner-51 NME ({baseInner:P2} -> {irisInner:P2})");
    }

    private static (double Eye, double Inner) HeldOut(IReadOnlyList<HelenRun.Face> faces, Func<HelenRun.Face, Point3f[]> mesh)
    {
        var fit = faces.Where((_, i) => i % 2 == 0).Select(f => new LandmarkMappingFitter.Sample(mesh(f), f.Truth)).ToList();
        var test = faces.Where((_, i) => i % 2 == 1).ToList();
        var mapping = new LandmarkMapping { Points = LandmarkMappingFitter.Fit(fit), MirrorIndex = new int[FaceMeshModel.PointCount] };
        return (test.Average(f => LandmarkMetrics.Nme(mapping.ToIbug68(mesh(f)), f.Truth, EyePoints)),
                test.Average(f => LandmarkMetrics.Nme(mapping.ToIbug68(mesh(f)), f.Truth, LandmarkMetrics.Inner51)));
    }
}

/// <summary>One pass over HELEN shared by the tests above (the pass is most of their cost), computed on first use.</summary>
internal sealed class HelenRun
{
    public sealed record Face(string Name, Point3f[] Mesh, Point3f[] Refined, Point2f[] Truth);

    public required IReadOnlyList<Face> Faces { get; init; }
    public required IReadOnlyList<string> Missed { get; init; }
    public required double Seconds { get; init; }

    private static readonly Lock Gate = new();
    private static HelenRun? _cached;

    public static HelenRun Get(ModelFixture models)
    {
        lock (Gate) return _cached ??= Compute(models);
    }

    private static HelenRun Compute(ModelFixture models)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var annotated = HelenDataset.Load(TestPhotos.HelenFolder);
        Assert.Equal(870, annotated.Count);
        var faces = new Face?[annotated.Count];
        var missed = new System.Collections.Concurrent.ConcurrentBag<string>();
        // One worker per core: the sessions are thread-safe and each Run uses one thread (ModelOptions.IntraOpThreads = 1).
        Parallel.For(0, annotated.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var a = annotated[i];
            using var photo = TestPhotos.Read(a.ImagePath);
            // The same matching rule as fit-landmarks; a face the analyzer would drop (presence too low) counts as missed.
            var detection = DetectionMatching.ForAnnotation(models.Detector.Detect(photo), a.Points);
            var mesh = detection is null ? null : models.Mesh.Run(photo, detection, models.Options.MeshPasses);
            if (mesh is null || mesh.Presence < models.Options.MinPresence) { missed.Add(a.Name); return; }
            faces[i] = new Face(a.Name, mesh.Points, models.Iris.Run(photo, mesh.Points).RefineEyelids(mesh.Points), a.Points);
        });
        return new HelenRun { Faces = faces.OfType<Face>().ToList(), Missed = [.. missed.Order()], Seconds = clock.Elapsed.TotalSeconds };
    }
}
