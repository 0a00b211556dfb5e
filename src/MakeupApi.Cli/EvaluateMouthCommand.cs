using MakeupApi.Evaluation;
using MakeupApi.FaceAnalysis;
using MakeupApi.FaceAnalysis.Parsing;
using MakeupApi.Onnx;
using OpenCvSharp;

namespace MakeupApi.Cli;

/// <summary>eval-mouth: the parser's open mouth against HELEN's annotated lip lines (options: <see cref="Command"/>).</summary>
internal static class EvaluateMouthCommand
{
    public static readonly CliCommand Command = new("eval-mouth",
        "how the face parser splits lips from the open mouth on HELEN photos, against their annotated lip lines (68 points): " +
        "on open mouths, the share of the opening parsed as lips (teeth an engine would paint) and as mouth; on every mouth, " +
        "the share of the lips parsed as mouth (lip an engine would leave bare)",
        [
            new("data", "DIR", "shared data folder (default: ../shared/data beside the repository)"),
            new("open-gap", "G", "a mouth is open when its inner lips' mean gap is at least G of its width (default 0.10)"),
            new("half", "H", "even or odd: only every other photo in name order, so that a setting chosen on one half is reported on the other"),
            new("per-photo", null, "also list every open mouth's shares"),
            new("sheet", "FILE", "write a contact sheet of the open mouths with the most opening parsed as lips: lips tinted red, " +
                "mouth purple, the annotated inner lip line green"),
            new("sheet-count", "N", "mouths on the sheet (default 16)"),
        ],
        "Faces are aligned and parsed as the service does (512x512 crops); the 8-point inner-lip polygon stands for the opening.",
        Run);

    private static int Run(CommandLine cl)
    {
        var data = cl.Get("data") ?? SharedData.Locate(Directory.GetCurrentDirectory());
        double openGap = cl.Get("open-gap", MouthOpeningEvaluation.OpenGap);
        if (!(openGap > 0 && openGap < 1)) throw new UsageException($"--open-gap is a fraction of the mouth's width, above 0 and below 1; not {openGap}");
        var half = cl.Get("half");
        if (half is not (null or "even" or "odd")) throw new UsageException($"--half is even or odd, not '{half}'");
        if (cl.Get("sheet-count", 1) < 1) throw new UsageException($"--sheet-count is a count of at least 1, not {cl.Get("sheet-count")}");
        var models = new ModelOptions();
        using var faceModels = FaceAnalysisFactory.CreateAll(models);
        var analyzer = faceModels.Analyzer;
        int size = new Pipeline.PipelineOptions().WorkingSize;

        var none = FaceParserOptions.MeshOnly;
        var configurations = new (string Name, FaceParser Parser)[]
        {
            ("mesh polygons only", new FaceParser(none)),
            ("+ lips by colour", new FaceParser(none with { RefineLips = true })),
            ("+ lips, mouth opening", new FaceParser(none with { RefineLips = true, FindMouthOpening = true })),
            ("all (shipped)", new FaceParser(new FaceParserOptions())),
        };

        var helen = HelenDataset.Load(Path.Combine(data, "landmarks", "helen-train"))
            .Where((_, i) => half is null || i % 2 == (half == "even" ? 0 : 1)).ToList();
        var measures = configurations.Select(_ => new List<(string Name, MouthMeasure Measure)>()).ToArray();
        var grey = new HashSet<string>();
        var missed = new List<string>();
        var parsers = configurations.Select(c => c.Parser).ToList();
        foreach (var face in helen)
        {
            var measured = MouthOpeningEvaluation.MeasurePhoto(analyzer, face, parsers, size);
            if (measured is null) { missed.Add(face.Name); continue; }
            if (measured.Grey) grey.Add(face.Name);
            for (int c = 0; c < configurations.Length; c++) measures[c].Add((face.Name, measured.Parsers[c]));
        }

        int open = measures[0].Count(m => m.Measure.Gap >= openGap);
        int greyOpen = measures[0].Count(m => m.Measure.Gap >= openGap && grey.Contains(m.Name));
        Console.WriteLine($"HELEN: {helen.Count} photos, face found in {helen.Count - missed.Count}, missed {missed.Count} [{string.Join(", ", missed)}]; " +
                          $"{open} open mouths (inner gap at least {openGap:P0} of the mouth's width), {greyOpen} of them in grey photos");
        Console.WriteLine($"{"mean share",-26}{"open: lips",14}{"open: mouth",14}{"lips: mouth",14}{"open lips: mouth",18}");
        for (int c = 0; c < configurations.Length; c++)
        {
            var all = measures[c];
            var opened = all.Where(m => m.Measure.Gap >= openGap).Select(m => m.Measure).ToList();
            Console.WriteLine($"{configurations[c].Name,-26}{Mean(opened, m => m.LipsOnOpening),14:F4}{Mean(opened, m => m.MouthOnOpening),14:F4}" +
                              $"{Mean(all.Select(m => m.Measure).ToList(), m => m.MouthOnLips),14:F4}{Mean(opened, m => m.MouthOnLips),18:F4}");
        }
        var shippedOpen = measures[^1].Where(m => m.Measure.Gap >= openGap).ToList();
        foreach (var (label, isGrey) in new[] { ("shipped, grey photos", true), ("shipped, colour photos", false) })
        {
            var part = shippedOpen.Where(m => grey.Contains(m.Name) == isGrey).Select(m => m.Measure).ToList();
            Console.WriteLine($"{label,-26}{Mean(part, m => m.LipsOnOpening),14:F4}{Mean(part, m => m.MouthOnOpening),14:F4}{"",14}{Mean(part, m => m.MouthOnLips),18:F4}");
        }
        Console.WriteLine("open: lips / open: mouth = share of an open mouth's annotated opening parsed as lips / as mouth; " +
                          "lips: mouth = share of the annotated lips parsed as mouth, over every photo (last column: open mouths only)");
        if (cl.Has("per-photo"))
        {
            var shipped = measures[^1];
            foreach (var (name, m) in shipped.Where(m => m.Measure.Gap >= openGap).OrderByDescending(m => m.Measure.LipsOnOpening))
                Console.WriteLine($"{name,-24} gap {m.Gap,6:F3}  open: lips {m.LipsOnOpening,6:F3}  open: mouth {m.MouthOnOpening,6:F3}  lips: mouth {m.MouthOnLips,6:F3}");
        }
        if (cl.Get("sheet") is { } sheet)
        {
            var worst = measures[^1].Where(m => m.Measure.Gap >= openGap).OrderByDescending(m => m.Measure.LipsOnOpening)
                .Take(cl.Get("sheet-count", 16)).Select(m => helen.First(f => f.Name == m.Name)).ToList();
            WriteSheet(sheet, analyzer, worst, configurations[^1].Parser, size);
            Console.WriteLine($"wrote {sheet}");
        }
        return 0;
    }

    private static void WriteSheet(string path, FaceAnalyzer analyzer, IReadOnlyList<AnnotatedFace> faces, FaceParser parser, int size)
    {
        const int tile = 192, columns = 4;
        int rows = (faces.Count + columns - 1) / columns;
        using var sheet = new Mat(rows * tile, columns * tile, MatType.CV_8UC3, Scalar.All(255));
        for (int k = 0; k < faces.Count; k++)
        {
            var face = faces[k];
            using var image = Cv2.ImRead(face.ImagePath, ImreadModes.Color);
            using var aligned = MouthOpeningEvaluation.Align(analyzer, image, face, size)
                ?? throw new InvalidOperationException($"{face.Name}: the annotated face was found before and not now.");
            using (var labels = parser.Parse(aligned.Crop, aligned.Mesh, aligned.Depth))
            using (var tint = aligned.Crop.Clone())
            {
                var points = aligned.Points;
                using (var lips = new Mat())
                {
                    Cv2.InRange(labels, Scalar.All(FaceLabel.UpperLip), Scalar.All(FaceLabel.LowerLip), lips);
                    tint.SetTo(new Scalar(40, 40, 255), lips);
                    Cv2.InRange(labels, Scalar.All(FaceLabel.Mouth), Scalar.All(FaceLabel.Mouth), lips);
                    tint.SetTo(new Scalar(160, 0, 160), lips);
                }
                using var blend = new Mat();
                Cv2.AddWeighted(aligned.Crop, 0.6, tint, 0.4, 0, blend);
                var inner = Enumerable.Range(60, 8).Select(i => new Point((int)Math.Round(points[i].X), (int)Math.Round(points[i].Y))).ToArray();
                Cv2.Polylines(blend, [inner], true, new Scalar(0, 220, 0), 1);
                var outer = Cv2.BoundingRect(Enumerable.Range(48, 12).Select(i => new Point((int)points[i].X, (int)points[i].Y)));
                int side = (int)(Math.Max(outer.Width, outer.Height) * 1.4);
                var box = new Rect(outer.X + outer.Width / 2 - side / 2, outer.Y + outer.Height / 2 - side / 2, side, side)
                    .Intersect(new Rect(0, 0, size, size));
                using var part = new Mat(blend, box);
                using var small = part.Resize(new Size(tile, tile), 0, 0, InterpolationFlags.Area);
                small.PutText(face.Name, new Point(4, 14), HersheyFonts.HersheySimplex, 0.4, Scalar.White, 1);
                using var cell = new Mat(sheet, new Rect(k % columns * tile, k / columns * tile, tile, tile));
                small.CopyTo(cell);
            }
        }
        if (!Cv2.ImWrite(path, sheet)) throw new IOException($"Could not write {path}.");
    }

    private static double Mean(List<MouthMeasure> values, Func<MouthMeasure, double> f) => values.Count == 0 ? double.NaN : values.Average(f);
}
