using MakeupApi.Evaluation;
using MakeupApi.FaceAnalysis;
using MakeupApi.FaceAnalysis.Landmarks;
using MakeupApi.FaceAnalysis.Parsing;
using MakeupApi.Onnx;
using OpenCvSharp;

namespace MakeupApi.Cli;

/// <summary>eval-parsing: the face parser's IoU per class against labelled photos (options: <see cref="Command"/>).</summary>
internal static class EvaluateParsingCommand
{
    public static readonly CliCommand Command = new("eval-parsing",
        "mean IoU per class of the face parser against the labelled makeup photos (CelebAMask-HQ labels, brows 2+3 and " +
        "eyes 4+5 compared as unions, lips 12+13), with the parser's corrections turned on one at a time",
        [
            new("data", "DIR", "shared data folder (default: ../shared/data beside the repository)"),
            new("no-iris", null, "mesh eyelids only (the service uses the iris model's eyelids by default: FaceAnalysis:UseIris)"),
            new("per-photo", null, "also list every photo's IoUs"),
            new("repeats", "N", "parses per photo for the timing line (default 5)"),
            new("opencv-threads", "N", "OpenCV's worker threads for this run (default: OpenCV's own choice)"),
            new("sheet", "FILE", "write a contact sheet: each photo with the parse tinted over it and the labels' outlines in white"),
            new("sheet-count", "N", "photos on the sheet (default 12, spread evenly over the set)"),
        ],
        "The photos are parsed at the labels' 512x512, the size of the service's aligned crops.",
        Run);

    private static int Run(CommandLine cl)
    {
        var data = cl.Get("data") ?? SharedData.Locate(Directory.GetCurrentDirectory());
        if (cl.Get("opencv-threads") is not null) Cv2.SetNumThreads(cl.Get("opencv-threads", 0));
        var models = new ModelOptions();
        var detectorOptions = new DetectorOptions();
        using var detector = FaceAnalysisFactory.CreateDetector(models, detectorOptions);
        using var mesh = FaceAnalysisFactory.CreateMesh(models);
        using var iris = cl.Has("no-iris") ? null : new IrisModel(new OnnxModel("iris", models.Resolve(models.Iris), models));
        var analyzer = new FaceAnalyzer(detector, mesh, LandmarkMapping.LoadEmbedded(), detectorOptions, iris);

        var photos = ParsingEvaluation.Load(data);
        var samples = new List<ParsingSample>();
        var missed = new List<string>();
        try
        {
            foreach (var photo in photos)
            {
                var sample = ParsingEvaluation.Prepare(photo, analyzer);
                if (sample is null) missed.Add(photo.Name); else samples.Add(sample);
            }
            Console.WriteLine($"{photos.Count} labelled photos, face found in {samples.Count}, missed {missed.Count} [{string.Join(", ", missed)}]");

            var all = new FaceParserOptions();
            var none = FaceParserOptions.MeshOnly;
            var configurations = new (string Name, FaceParserOptions Options)[]
            {
                ("mesh polygons only", none),
                ("+ lips by colour", none with { RefineLips = true }),
                ("+ lips, mouth opening", none with { RefineLips = true, FindMouthOpening = true }),
                ("+ brows by colour", none with { RefineBrows = true }),
                ("+ eyes by colour", none with { RefineEyes = true }),
                ("+ forehead hair removed", none with { RemoveForeheadHair = true }),
                ("+ skin grown to hairline", none with { GrowSkinToHairline = true }),
                ("+ forehead (both)", none with { RemoveForeheadHair = true, GrowSkinToHairline = true }),
                ("all (shipped)", all),
            };
            var classes = ParsingEvaluation.Classes;
            Console.WriteLine($"{"mean IoU",-26}" + string.Concat(classes.Select(c => $"{c.Name,9}")));
            ParsingReport? shipped = null;
            foreach (var (name, options) in configurations)
            {
                var report = ParsingEvaluation.Score(new FaceParser(options), samples);
                Console.WriteLine($"{name,-26}" + string.Concat(report.MeanIoU.Select(v => $"{v,9:F4}")));
                shipped = report;
            }
            Console.WriteLine("photos per class (NaN where neither map has it): " + string.Join(", ", classes.Select((c, i) => $"{c.Name} {shipped!.Photos[i]}")));
            Console.WriteLine("targets: lips >= 0.75, brows >= 0.55, eyes >= 0.60, skin >= 0.80");

            PrintTiming(new FaceParser(all), samples, cl.Get("repeats", 5));

            if (cl.Has("per-photo"))
                foreach (var (name, iou) in shipped!.PerPhoto)
                    Console.WriteLine($"{name,-48}" + string.Concat(iou.Select(v => $"{v,9:F3}")));

            if (cl.Get("sheet") is { } sheet)
            {
                int count = Math.Clamp(cl.Get("sheet-count", 12), 1, samples.Count);
                WriteSheet(sheet, samples, count, new FaceParser(all));
                Console.WriteLine($"wrote {sheet}");
            }
            return missed.Count == 0 ? 0 : 1;
        }
        finally
        {
            foreach (var s in samples) s.Dispose();
        }
    }

    /// <summary>
    /// Parse time per 512x512 frame, shipped options: after a warm-up pass, each photo is parsed
    /// <paramref name="repeats"/> times. The best of a photo's runs is the least disturbed by other work on the machine.
    /// </summary>
    private static void PrintTiming(FaceParser parser, IReadOnlyList<ParsingSample> samples, int repeats)
    {
        foreach (var s in samples) parser.Parse(s.Image, s.Mesh).Dispose();
        var all = new List<double>();
        double bestSum = 0;
        var clock = new System.Diagnostics.Stopwatch();
        foreach (var s in samples)
        {
            double best = double.MaxValue;
            for (int r = 0; r < Math.Max(1, repeats); r++)
            {
                clock.Restart();
                parser.Parse(s.Image, s.Mesh).Dispose();
                double ms = clock.Elapsed.TotalMilliseconds;
                all.Add(ms);
                best = Math.Min(best, ms);
            }
            bestSum += best;
        }
        all.Sort();
        Console.WriteLine($"parse time per 512x512 frame ({samples.Count} photos x {Math.Max(1, repeats)}, {Environment.ProcessorCount} cores, " +
            $"OpenCV threads {Cv2.GetNumThreads()}): mean {all.Average():F2} ms, median {all[all.Count / 2]:F2} ms, mean of per-photo best {bestSum / samples.Count:F2} ms");
    }

    /// <summary>
    /// Colours per label value (BGR), distinct rather than standard: skin, brows, eyes, nose, mouth and lips are the
    /// parser's classes; the rest appear only in the labels' outlines.
    /// </summary>
    private static readonly Dictionary<byte, Scalar> Palette = new()
    {
        [FaceLabel.Skin] = new Scalar(120, 200, 255),
        [FaceLabel.LeftBrow] = new Scalar(40, 120, 40),
        [FaceLabel.RightBrow] = new Scalar(60, 170, 60),
        [FaceLabel.LeftEye] = new Scalar(255, 90, 0),
        [FaceLabel.RightEye] = new Scalar(255, 170, 0),
        [FaceLabel.Nose] = new Scalar(0, 230, 230),
        [FaceLabel.Mouth] = new Scalar(160, 0, 160),
        [FaceLabel.UpperLip] = new Scalar(40, 40, 255),
        [FaceLabel.LowerLip] = new Scalar(30, 30, 170),
    };

    private static void WriteSheet(string path, IReadOnlyList<ParsingSample> samples, int count, FaceParser parser)
    {
        const int tile = 256, columns = 4;
        int rows = (count + columns - 1) / columns;
        using var sheet = new Mat(rows * tile, columns * tile, MatType.CV_8UC3, Scalar.All(255));
        var spread = PairEvaluation.EvenlySpacedIndices(samples.Count, count);
        for (int k = 0; k < count; k++)
        {
            var sample = samples[spread[k]];
            using var labels = parser.Parse(sample.Image, sample.Mesh);
            using var tint = sample.Image.Clone();
            foreach (var (value, colour) in Palette)
            {
                using var mask = new Mat();
                Cv2.InRange(labels, Scalar.All(value), Scalar.All(value), mask);
                tint.SetTo(colour, mask);
            }
            using var blend = new Mat();
            Cv2.AddWeighted(sample.Image, 0.55, tint, 0.45, 0, blend);
            DrawOutlines(blend, sample.Truth);
            using var small = blend.Resize(new Size(tile, tile), 0, 0, InterpolationFlags.Area);
            var name = sample.Photo.Name[(sample.Photo.Name.IndexOf('/') + 1)..];
            small.PutText(name.Length > 20 ? name[..20] : name, new Point(4, 14), HersheyFonts.HersheySimplex, 0.4, Scalar.Black, 3);
            small.PutText(name.Length > 20 ? name[..20] : name, new Point(4, 14), HersheyFonts.HersheySimplex, 0.4, Scalar.White, 1);
            using var cell = new Mat(sheet, new Rect(k % columns * tile, k / columns * tile, tile, tile));
            small.CopyTo(cell);
        }
        if (!Cv2.ImWrite(path, sheet)) throw new IOException($"Could not write {path}.");
    }

    /// <summary>The labels' region boundaries (where a pixel's label differs from its right or lower neighbour) in white.</summary>
    private static void DrawOutlines(Mat image, Mat labels)
    {
        int h = labels.Rows, w = labels.Cols;
        var labelRows = labels.AsRows<byte>();
        var imageRows = image.AsRows<Vec3b>();
        var white = new Vec3b(255, 255, 255);
        for (int y = 0; y + 1 < h; y++)
        {
            var l = labelRows[y];
            var below = labelRows[y + 1];
            var px = imageRows[y];
            for (int x = 0; x + 1 < w; x++)
                if (l[x] != l[x + 1] || l[x] != below[x]) px[x] = white;
        }
    }
}
