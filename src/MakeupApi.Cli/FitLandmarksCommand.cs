using System.Diagnostics;
using System.Text.Json;
using MakeupApi.Evaluation;
using MakeupApi.FaceAnalysis;
using MakeupApi.FaceAnalysis.Detection;
using MakeupApi.FaceAnalysis.Landmarks;
using MakeupApi.Onnx;
using OpenCvSharp;

namespace MakeupApi.Cli;

/// <summary>fit-landmarks: derives the mesh-to-68 mapping and the mesh mirror index from data (options: <see cref="Command"/>).</summary>
internal static class FitLandmarksCommand
{
    public static readonly CliCommand Command = new("fit-landmarks",
        "derives the mesh-to-68 landmark mapping and the mesh mirror index from data and writes landmark-mapping.json",
        [
            new("data", "DIR", "shared data folder (default: ../shared/data beside the repository)"),
            new("pixel-origin", "X", "subtracted from .pts coordinates (default 1: 300-W files are 1-based)"),
            new("no-iris", null, "fit on the mesh's own eyelids (the service uses the iris model's by default)"),
            new("passes", "N", "mesh passes (default: DetectorOptions.MeshPasses, the service's)"),
            new("out", "FILE", "output (default: src/MakeupApi.Core/FaceAnalysis/Landmarks/landmark-mapping.json, the committed file)"),
        ],
        "Fits on the even-numbered HELEN photos, reports NME on the odd ones (held out), then refits on all of them.",
        Run);

    private static int Run(CommandLine cl)
    {
        var data = cl.Get("data") ?? SharedData.Locate(Directory.GetCurrentDirectory());
        var output = cl.Get("out", "src/MakeupApi.Core/FaceAnalysis/Landmarks/landmark-mapping.json");
        var models = new ModelOptions();
        using var detector = FaceAnalysisFactory.CreateDetector(models, new DetectorOptions());
        using var mesh = FaceAnalysisFactory.CreateMesh(models);
        // The mapping is fitted on the points the service produces: with the iris model's eyelids unless --no-iris.
        using var iris = cl.Has("no-iris") ? null : FaceAnalysisFactory.CreateIris(models);

        var passes = cl.Get("passes", new DetectorOptions().MeshPasses);
        var pixelOrigin = cl.Get("pixel-origin", 1.0);
        var helen = HelenDataset.Load(Path.Combine(data, "landmarks", "helen-train"), pixelOrigin);
        var samples = new List<LandmarkMappingFitter.Sample>();
        var missed = new List<string>();
        var sw = Stopwatch.StartNew();
        foreach (var face in helen)
        {
            using var image = Cv2.ImRead(face.ImagePath, ImreadModes.Color);
            var found = DetectionMatching.ForAnnotation(detector.Detect(image), face.Points);
            if (found is null) { missed.Add(face.Name); continue; }
            var meshPoints = mesh.Run(image, found, passes).Points;
            if (iris is not null) meshPoints = iris.Run(image, meshPoints).RefineEyelids(meshPoints);
            samples.Add(new LandmarkMappingFitter.Sample(meshPoints, face.Points));
        }
        Console.WriteLine($"HELEN: {helen.Count} photos, {samples.Count} with the annotated face found, missed {missed.Count} [{string.Join(", ", missed)}] ({sw.Elapsed.TotalSeconds:F1} s)");

        var fitHalf = samples.Where((_, i) => i % 2 == 0).ToList();
        var testHalf = samples.Where((_, i) => i % 2 == 1).ToList();
        var heldOut = Evaluate(LandmarkMappingFitter.Fit(fitHalf), testHalf);
        Console.WriteLine($"held-out NME (fit on {fitHalf.Count}, test on {testHalf.Count}): inner51 {heldOut.Inner:P2}, all68 {heldOut.All:P2}");

        var points = LandmarkMappingFitter.Fit(samples);
        var all = Evaluate(points, samples);
        Console.WriteLine($"in-sample NME (fit and test on {samples.Count}): inner51 {all.Inner:P2}, all68 {all.All:P2}");

        var mirrorPairs = new List<(Point3f[], Point3f[], int)>();
        // Frontal photos for the symmetry: FASSEG's yaw-0 faces and the makeup set's bare faces.
        var frontal = Directory.EnumerateFiles(Path.Combine(data, "poses", "fasseg-v3"), "*p0p0.jpg")
            .Concat(Directory.EnumerateFiles(Path.Combine(data, "makeup", "images", "non-makeup"), "*.png")).Order(StringComparer.Ordinal);
        foreach (var path in frontal)
        {
            using var image = Cv2.ImRead(path, ImreadModes.Color);
            using var flipped = image.Flip(FlipMode.Y);
            var a = detector.Detect(image);
            var b = detector.Detect(flipped);
            if (a.Count == 0 || b.Count == 0) continue;
            mirrorPairs.Add((mesh.Run(image, a[0], passes).Points, mesh.Run(flipped, b[0], passes).Points, image.Width));
        }
        var mirror = LandmarkMappingFitter.FitMirrorIndex(mirrorPairs);
        int selfSymmetric = mirror.Where((m, i) => m == i).Count();
        int involution = mirror.Where((m, i) => mirror[m] == i).Count();
        Console.WriteLine($"mirror index from {mirrorPairs.Count} photos: {selfSymmetric} vertices on the midline, {involution}/468 consistent pairs");

        var mapping = new Dictionary<string, object>
        {
            ["points"] = points,
            ["mirrorIndex"] = mirror,
            ["fit"] = new Dictionary<string, object>
            {
                ["data"] = "shared/data/landmarks/helen-train (300-W annotations, 1-based pixel origin)",
                ["photos"] = samples.Count,
                ["missed"] = missed.Count,
                ["heldOutNmeInner51"] = Math.Round(heldOut.Inner, 5),
                ["heldOutNmeAll68"] = Math.Round(heldOut.All, 5),
                ["mirrorPhotos"] = mirrorPairs.Count,
            },
        };
        File.WriteAllText(output, JsonSerializer.Serialize(mapping, new JsonSerializerOptions(LandmarkMapping.Json) { WriteIndented = false }));
        Console.WriteLine($"wrote {output}");
        return 0;
    }

    private static (double Inner, double All) Evaluate(LandmarkMapping.MappedPoint[] points, IReadOnlyList<LandmarkMappingFitter.Sample> samples)
    {
        var mapping = new LandmarkMapping { Points = points, MirrorIndex = new int[FaceMeshModel.PointCount] };
        double inner = 0, all = 0;
        foreach (var s in samples)
        {
            var predicted = mapping.ToIbug68(s.Mesh);
            inner += LandmarkMetrics.Nme(predicted, s.Truth, LandmarkMetrics.Inner51);
            all += LandmarkMetrics.Nme(predicted, s.Truth, LandmarkMetrics.All68);
        }
        return (inner / samples.Count, all / samples.Count);
    }
}
