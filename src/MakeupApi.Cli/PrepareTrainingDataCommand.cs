using System.Text.Json;
using MakeupApi.Alignment;
using MakeupApi.Evaluation;
using MakeupApi.FaceAnalysis;
using MakeupApi.FaceAnalysis.Landmarks;
using MakeupApi.FaceAnalysis.Parsing;
using MakeupApi.Onnx;
using MakeupApi.PoseCorrection;
using OpenCvSharp;

namespace MakeupApi.Cli;

/// <summary>
/// prepare-training-data: writes the generator's training set with the service's own stages (detector, mesh, aligner,
/// parser, pose correction), so training sees exactly the crops, masks and warps the service produces (options:
/// <see cref="Command"/>; layout: training/README.md).
/// </summary>
internal static class PrepareTrainingDataCommand
{
    public static readonly CliCommand Command = new("prepare-training-data",
        "writes the generator's training set (aligned crops, label maps, pose-corrected references) with the service's own stages",
        [
            new("data", "DIR", "shared data folder (default: ../shared/data beside the repository)"),
            new("out", "DIR", "output folder (default: training/prepared, git-ignored; its files are overwritten)"),
            new("size", "N", "crop side (default 256, the generator's working size)"),
            new("refs", "K", "makeup references per source, drawn at random (default 4); each pair is written in both directions"),
            new("helen", "N", "extra sources from HELEN (default 100; mixed makeup; references only with --wild-refs)"),
            new("poses", "N", "extra sources from FASSEG with |yaw| at most 45 degrees (default 60), for pose robustness"),
            new("wild-refs", "K", "also K references per bare source drawn from the set's HELEN faces (default 0), so the " +
                "generator learns from in-the-wild references and not only the makeup set's 55 studio portraits; drawn from " +
                "their own random stream, so the other pairs are those of the same command without it"),
            new("seed", "S", "random seed (default 1)"),
            new("hold-out-every", "K", "leave every K-th photo of the makeup set (bare and made-up alike) out of training " +
                "(default 0: none), so that compare-engines --unseen-by INDEX can measure on pairs whose two faces training never saw"),
        ],
        """
        Layout (training/README.md): index.json; faces/ID.jpg, faces/ID.labels.png; pairs/SRC__REF.jpg, pairs/SRC__REF.labels.png.
        Photos are JPEG (quality 95) and label maps PNG, so the default set (30 MiB) travels to a GPU machine: the limit,
        64 MiB, counts the tracked tree (~20 MiB) too, so --helen 250 (49 MiB) does not and --hold-out-every 5 --helen 200
        (39.8 MiB) does.
        """,
        Run);

    private static int Run(CommandLine cl)
    {
        var data = cl.Get("data") ?? SharedData.Locate(Directory.GetCurrentDirectory());
        var output = cl.Get("out", "training/prepared");
        int size = cl.Get("size", 256), refsPerSource = cl.Get("refs", 4), helenCount = cl.Get("helen", 100), poseCount = cl.Get("poses", 60);
        int holdOutEvery = cl.Get("hold-out-every", 0), wildRefs = cl.Get("wild-refs", 0);
        if (holdOutEvery is < 0 or 1) throw new UsageException("--hold-out-every is 0 (none) or at least 2");
        if (wildRefs < 0) throw new UsageException($"--wild-refs is a count of at least 0, not {wildRefs}");
        int seed = cl.Get("seed", 1);
        var random = new Random(seed);

        using var models = FaceAnalysisFactory.CreateAll();
        var analyzer = models.Analyzer;
        var parser = new FaceParser();
        var warp = new TriangulationWarp(models.Mapping.MirrorIndex);

        Directory.CreateDirectory(Path.Combine(output, "faces"));
        Directory.CreateDirectory(Path.Combine(output, "pairs"));

        var sources = new List<(string Id, string Kind, string Path)>();
        string makeupDir = Path.Combine(data, "makeup", "images");
        foreach (var (kind, prefix) in new[] { ("makeup", "mk"), ("non-makeup", "nm") })
            foreach (var f in Directory.EnumerateFiles(Path.Combine(makeupDir, kind), "*.png").Order(StringComparer.Ordinal)
                         .Where((_, i) => holdOutEvery == 0 || i % holdOutEvery != holdOutEvery - 1))
                sources.Add((TrainingSetIndex.FaceId(prefix, f), kind, f));
        foreach (var f in Directory.EnumerateFiles(Path.Combine(data, "landmarks", "helen-train"), "*.jpg").Order(StringComparer.Ordinal)
                     .OrderBy(_ => random.Next()).Take(helenCount))
            sources.Add((TrainingSetIndex.FaceId("he", f), "helen", f));
        foreach (var f in Directory.EnumerateFiles(Path.Combine(data, "poses", "fasseg-v3"), "*.jpg").Order(StringComparer.Ordinal)
                     .Where(f => Math.Abs(YawFromName(f) ?? 90) <= 45).OrderBy(_ => random.Next()).Take(poseCount))
            sources.Add((TrainingSetIndex.FaceId("po", f), "pose", f));

        var faces = new Dictionary<string, AlignedFace>();
        var entries = new List<object>();
        int skipped = 0;
        try
        {
            foreach (var (id, kind, path) in sources)
            {
                using var image = Cv2.ImRead(path, ImreadModes.Color);
                var found = analyzer.FindFaces(image);
                if (found.Count == 0) { skipped++; continue; }
                var (crop, toCrop, points, depth, ibug) = FaceAligner.Crop(image, found[0], size);
                var aligned = new AlignedFace
                {
                    Image = crop, ToCrop = toCrop, Mesh = points, MeshDepth = depth, Ibug68 = ibug,
                    Labels = parser.Parse(crop, points, depth),
                };
                faces[id] = aligned;
                Cv2.ImWrite(Path.Combine(output, "faces", id + ".jpg"), aligned.Image, new ImageEncodingParam(ImwriteFlags.JpegQuality, 95));
                Cv2.ImWrite(Path.Combine(output, "faces", id + ".labels.png"), aligned.Labels);
                entries.Add(new
                {
                    id, kind,
                    image = $"faces/{id}.jpg",
                    labels = $"faces/{id}.labels.png",
                    landmarks = ibug.Select(p => new[] { Math.Round(p.X, 2), Math.Round(p.Y, 2) }).ToArray(),
                });
            }

            List<string> IdsWhere(Func<string, bool> keep) => [.. faces.Keys.Where(keep).Order(StringComparer.Ordinal)];
            var makeupIds = IdsWhere(k => k.StartsWith("mk_", StringComparison.Ordinal));
            var bareIds = IdsWhere(k => !k.StartsWith("mk_", StringComparison.Ordinal));
            var pairs = new List<object>();
            foreach (var sourceId in bareIds)
            {
                foreach (var refId in makeupIds.OrderBy(_ => random.Next()).Take(refsPerSource))
                {
                    pairs.Add(WritePair(warp, faces, sourceId, refId, output));
                    // The reverse direction (makeup face as source, bare face as reference) for the cycle and
                    // de-makeup losses; only for the makeup set's own bare faces, whose makeup status is known.
                    if (sourceId.StartsWith("nm_", StringComparison.Ordinal))
                        pairs.Add(WritePair(warp, faces, refId, sourceId, output));
                }
            }
            if (wildRefs > 0)
            {
                // In-the-wild references: a generator trained on the makeup set's references alone falls far short on
                // references it never saw (README, "On references the generator never trained on"). One direction only:
                // a HELEN face's makeup status is unknown, so it is no de-makeup target. The stream's seed only has to
                // differ from the first's, so that adding these pairs leaves the makeup pairs as they were.
                var wildIds = IdsWhere(k => k.StartsWith("he_", StringComparison.Ordinal));
                var wildRandom = new Random(unchecked(seed * 7919 + 1));
                foreach (var sourceId in bareIds)
                    foreach (var refId in wildIds.Where(k => k != sourceId).OrderBy(_ => wildRandom.Next()).Take(wildRefs))
                        pairs.Add(WritePair(warp, faces, sourceId, refId, output));
            }

            var index = new { size, faces = entries, pairs };
            File.WriteAllText(Path.Combine(output, "index.json"), JsonSerializer.Serialize(index));
            Console.WriteLine($"prepared {faces.Count} faces ({skipped} without a face found) and {pairs.Count} pairs in {output}");
        }
        finally
        {
            foreach (var f in faces.Values) f.Dispose();
        }
        return 0;
    }

    private static object WritePair(TriangulationWarp warp, Dictionary<string, AlignedFace> faces, string sourceId, string refId, string output)
    {
        using var warped = warp.Warp(faces[sourceId], faces[refId]);
        // Where pose correction had nothing to take, the service shows the generator the source itself
        // (GeneratorMakeupEngine); training sees the same input.
        using var invalid = new Mat();
        Cv2.BitwiseNot(warped.Valid, invalid);
        faces[sourceId].Image.CopyTo(warped.Image, invalid);
        string name = $"{sourceId}__{refId}";
        Cv2.ImWrite(Path.Combine(output, "pairs", name + ".jpg"), warped.Image, new ImageEncodingParam(ImwriteFlags.JpegQuality, 95));
        Cv2.ImWrite(Path.Combine(output, "pairs", name + ".labels.png"), warped.Labels);
        return new { source = sourceId, reference = refId, warped = $"pairs/{name}.jpg", warpedLabels = $"pairs/{name}.labels.png" };
    }

    /// <summary>
    /// FASSEG names end with the yaw: "personne01143p0m45" = -45 degrees, "...p0p30" = +30 (shared/data/README.md); the
    /// "p0" before it is the constant tilt of this subset.
    /// </summary>
    private static int? YawFromName(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        var m = System.Text.RegularExpressions.Regex.Match(name, @"([pm])(\d{1,2})$");
        if (!m.Success) return null;
        int v = int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        return m.Groups[1].Value == "m" ? -v : v;
    }
}
