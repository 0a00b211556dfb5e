using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using MakeupApi.Evaluation;
using MakeupApi.FaceAnalysis;
using MakeupApi.FaceAnalysis.Landmarks;
using MakeupApi.Onnx;
using MakeupApi.Pipeline;
using MakeupApi.Transfer;
using MakeupApi.Transfer.Classical;
using MakeupApi.Transfer.Generator;
using OpenCvSharp;

namespace MakeupApi.Cli;

/// <summary>
/// compare-engines: runs every available engine over source x reference pairs and writes a table and a contact sheet
/// (options: <see cref="Command"/>).
/// Per region (lips, eye shadow, skin): CIEDE2000 between the output's and the reference's mean colours, the share of
/// the way moved, and the Bhattacharyya distance of their a*b* histograms; SSIM of the luminance detail layer against
/// the source (structure kept); landmark drift / eye-corner distance (identity kept); pixels changed outside the
/// grown face mask (background kept); and milliseconds per pair for the per-pair stages. Printed and in --csv besides:
/// the per-pixel CIEDE2000 to the source over the parsed eyeballs, mouth interior and glasses (protected_de) and, for
/// sources with annotated points beside them (HELEN's .pts) and an open mouth, over the annotated opening (opening_de);
/// the eye band's and the brows' movement, the brows' as they are (brows_*) and both against each face's own skin
/// (eyes_on_skin_*, brows_on_skin_*: TransferMetrics.ColourMovementOnSkin);
/// and how much more the skin round the lips changed than the rest of the skin (lip_ring_de, skin_de:
/// PairEvaluation.LipSurround), where lipstick carried past the lip line shows; and the cheeks' colour against the rest
/// of each face's skin (cheeks_on_skin_*: PairEvaluation.CheeksOnSkin), which is blush.
/// </summary>
internal static class CompareEnginesCommand
{
    /// <summary>
    /// Below a CIEDE2000 of 3 (about one just-noticeable difference; the pipeline tests' MinMeaningfulDifference) a
    /// region already looks like the reference's, and its movement fraction says nothing.
    /// </summary>
    private const double MinMeaningfulDifference = 3.0;

    public static readonly CliCommand Command = new("compare-engines",
        "runs every available engine over source x reference pairs and writes a table of region colour, detail, " +
        "identity, background and time measures, and a contact sheet",
        [
            new("sources", "DIR", "bare faces (default: shared makeup/images/non-makeup)"),
            new("references", "DIR", "makeup faces (default: shared makeup/images/makeup)"),
            new("pairs", "N", "at most N pairs, spread evenly over all of them (default: all)"),
            new("pairs-phase", "F", "0 to below 1 (default 0): where in each even step the grid takes its pair, or where in " +
                "the order the balanced run starts; 0.5 gives as many pairs, none of them among phase 0's, for confirming a " +
                "pick on pairs that took no part in choosing it"),
            new("pairs-layout", "L", "grid (default): --pairs spaced evenly over the source-major list of all pairs, as every " +
                "recorded figure was measured; balanced: consecutive pairs of an order in which sources and references both " +
                "cycle, so N pairs use every reference about equally where the grid's stride can alias with the reference count"),
            new("pairs-exclude", "CSV", "leave out the chosen pairs this csv names in its source and reference columns (a --csv " +
                "file, or training/eval-pairs-used.csv), so that a decision set holds only pairs no earlier decision was scored on; " +
                "with --pairs at the pool's size this takes every fresh pair of the pool"),
            new("table", "FILE", "markdown table (default: stdout only)"),
            new("sheet", "FILE", "contact sheet image: source | reference | one column per engine (default: none)"),
            new("sheet-rows", "N", "rows on the sheet (default 6)"),
            new("color-return", "S", "colour-return strength (default: PipelineOptions' default)"),
            new("min-reference-colour", "C", "leave out the pairs whose reference the service refuses as reference_without_colour, its face's " +
                "colourfulness under C (default: PipelineOptions.MinReferenceColourfulness; 0 keeps every pair)"),
            new("eye-skin-anchor", "A", "the classical engine's eye-shadow skin anchoring, 0 to 1 (default: ClassicalEngineOptions.EyeSkinAnchor)"),
            new("anchor-limit", "L", "the classical engine's cap on skin anchoring, at least 0 (default: ClassicalEngineOptions.AnchorLimit)"),
            new("blush", "AMOUNT,EVEN", "the classical engine's blush: the share of the reference's cheek colour put on and the share of " +
                "the source's own taken away first, each 0 to 1 (default: ClassicalEngineOptions.BlushAmount, BlushEvensOwn; an AMOUNT of 0 turns it off)"),
            new("blush-balance", "F", "the classical engine's blush: how many times redder than the other the reference's redder cheek may be before its blush is " +
                "scaled down, at least 1; off takes a one-sided reference blush (often shade) whole (default: ClassicalEngineOptions.BlushSideBalance)"),
            new("complexion-gap", "FROM,FULL", "skin lightness gaps (L*) over which both engines place the eye shadow (and the classical engine the brows, onto darker faces) on the source's own skin " +
                "(default: ComplexionOptions.GapFrom, GapFull; 1000,1001 turns it off)"),
            new("foundation-sigma", "S", "the generator's skin layer: its change on the plain skin is averaged over a Gaussian of S times " +
                "the crop's side (default: GeneratorMakeupEngine.DefaultFoundationSigma; 0 leaves the change as the network made it)"),
            new("engines", "LIST", "comma-separated engine names to run (default: every available engine)"),
            new("generator", "FILE", "the generator model to run (default: the one the service uses); for scoring " +
                "training checkpoints without touching onnx-models/"),
            new("csv", "FILE", "one row per pair and engine with every measure, for finding the pairs that miss a target"),
            new("unseen-by", "INDEX", "leave out every photo the training set of this index.json was made from, so the " +
                "generator is measured on faces it never trained on (training/README.md names the committed file's set)"),
            new("references-from", "sources", "take the references from --sources instead of --references: after --unseen-by, " +
                "the sorted photos alternate between source (1st, 3rd, ...) and reference (2nd, 4th, ...), so no face meets " +
                "itself; measures the generator on references it never trained on (README, 'On references the generator never trained on')"),
            new("unseen-side", "S", "where --unseen-by leaves photos out: sources, references or both (default both); " +
                "the committed file trained on all 55 makeup photos, so with them as references only 'sources' leaves any"),
        ],
        "Medians over the pairs: dE = CIEDE2000 of mean colours, moved = 1 - dE(out, ref) / dE(source, ref), " +
        "hist = Bhattacharyya distance of a*b* histograms, detail SSIM against the source, drift = landmark displacement / outer-eye distance.",
        Run);

    private static int Run(CommandLine cl)
    {
        var data = SharedData.Locate(Directory.GetCurrentDirectory());
        var sources = cl.Get("sources", Path.Combine(data, "makeup", "images", "non-makeup"));
        var references = cl.Get("references", Path.Combine(data, "makeup", "images", "makeup"));
        var options = new PipelineOptions();
        double strength = cl.Get("color-return", (double)options.ColorReturnStrength);
        if (strength is < 0 or > 1) throw new UsageException($"--color-return is a strength from 0 to 1, not {strength}");
        options = options with { ColorReturnStrength = (float)strength };
        double minColour = cl.Get("min-reference-colour", options.MinReferenceColourfulness);
        if (minColour is < 0 or > 20) throw new UsageException($"--min-reference-colour is from 0 to 20, not {minColour}");
        options = options with { MinReferenceColourfulness = minColour };
        var classicalOptions = new ClassicalEngineOptions();
        double eyeAnchor = cl.Get("eye-skin-anchor", (double)classicalOptions.EyeSkinAnchor);
        if (eyeAnchor is < 0 or > 1) throw new UsageException($"--eye-skin-anchor is from 0 to 1, not {eyeAnchor}");
        double anchorLimit = cl.Get("anchor-limit", (double)classicalOptions.AnchorLimit);
        if (!(anchorLimit >= 0)) throw new UsageException($"--anchor-limit is at least 0, not {anchorLimit}");
        classicalOptions = classicalOptions with { EyeSkinAnchor = (float)eyeAnchor, AnchorLimit = (float)anchorLimit };
        if (cl.Get("blush") is { } blush)
        {
            var parts = blush.Split(',');
            if (parts.Length != 2 || !float.TryParse(parts[0], CultureInfo.InvariantCulture, out float amount)
                || !float.TryParse(parts[1], CultureInfo.InvariantCulture, out float even) || amount is not (>= 0 and <= 1) || even is not (>= 0 and <= 1))
                throw new UsageException($"--blush is AMOUNT,EVEN, each from 0 to 1, not {blush}");
            classicalOptions = classicalOptions with { BlushAmount = amount, BlushEvensOwn = even };
        }
        if (cl.Get("blush-balance") is { } balance)
        {
            float factor = float.PositiveInfinity;
            if (balance != "off" && (!float.TryParse(balance, CultureInfo.InvariantCulture, out factor) || !(factor >= 1) || float.IsPositiveInfinity(factor)))
                throw new UsageException($"--blush-balance is a factor of at least 1, or off, not {balance}");
            classicalOptions = classicalOptions with { BlushSideBalance = factor };
        }
        var complexion = new ComplexionOptions();
        if (cl.Get("complexion-gap") is { } gaps)
        {
            var parts = gaps.Split(',');
            if (parts.Length != 2 || !float.TryParse(parts[0], CultureInfo.InvariantCulture, out float from)
                || !float.TryParse(parts[1], CultureInfo.InvariantCulture, out float full) || !(from >= 0) || !(full > from))
                throw new UsageException($"--complexion-gap is FROM,FULL with 0 <= FROM < FULL, not {gaps}");
            complexion = complexion with { GapFrom = from, GapFull = full };
        }
        classicalOptions = classicalOptions with { Complexion = complexion };
        double foundationSigma = cl.Get("foundation-sigma", GeneratorMakeupEngine.DefaultFoundationSigma);
        if (!(foundationSigma is >= 0 and <= 1)) throw new UsageException($"--foundation-sigma is a share of the crop's side from 0 to 1, not {foundationSigma}");
        // checked before the minutes of face analysis below, like every other option
        if (cl.Get("pairs", 1) < 1) throw new UsageException($"--pairs is a count of at least 1, not {cl.Get("pairs")}");
        if (cl.Get("sheet-rows", 1) < 1) throw new UsageException($"--sheet-rows is a count of at least 1, not {cl.Get("sheet-rows")}");
        double phase = cl.Get("pairs-phase", 0.0);
        if (phase is < 0 or >= 1) throw new UsageException($"--pairs-phase is from 0 up to, not including, 1; not {phase}");
        var layout = cl.Get("pairs-layout", "grid");
        if (layout is not ("grid" or "balanced")) throw new UsageException($"--pairs-layout is grid or balanced, not {layout}");
        var referencesFrom = cl.Get("references-from");
        if (referencesFrom is not (null or "sources")) throw new UsageException($"--references-from takes only 'sources', not '{referencesFrom}'");

        UsedPairs? usedPairs = null;
        if (cl.Get("pairs-exclude") is { } usedPath)
        {
            try { usedPairs = UsedPairs.Load(usedPath); }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                throw new UsageException("--pairs-exclude: " + e.Message);
            }
        }

        var models = new ModelOptions();
        using var faceModels = FaceAnalysisFactory.CreateAll(models);
        var analyzer = faceModels.Analyzer;
        var engines = new List<IMakeupEngine> { new ClassicalMakeupEngine(classicalOptions) };
        var requestedGenerator = cl.Get("generator");
        if (requestedGenerator is not null && !File.Exists(requestedGenerator))
        {
            Console.Error.WriteLine($"compare-engines: no generator model at {requestedGenerator}");
            return 2;
        }
        var generatorPath = requestedGenerator ?? models.Resolve(models.Generator);
        using var generator = File.Exists(generatorPath) ? new GeneratorMakeupEngine(new OnnxModel(GeneratorMakeupEngine.ModelName, generatorPath, models), complexion, foundationSigma) : null;
        if (generator is not null) engines.Add(generator);
        else Console.WriteLine($"(no generator model at {generatorPath}: classical engine only)");

        if (cl.Get("engines") is { } only)
        {
            var names = only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            engines.RemoveAll(e => !names.Contains(e.Name, StringComparer.OrdinalIgnoreCase));
            if (engines.Count == 0) { Console.Error.WriteLine($"compare-engines: none of '{only}' is available"); return 2; }
        }
        var sourcePhotos = ImagesIn(sources).ToList();
        var referencePhotos = referencesFrom is null ? ImagesIn(references).ToList() : [];
        if (LeaveOutTrainedOn(cl, sourcePhotos, referencePhotos, referencesFrom is not null) is { } problem)
        {
            Console.Error.WriteLine("compare-engines: " + problem);
            return 2;
        }
        if (referencesFrom is not null)
        {
            (sourcePhotos, referencePhotos) = AlternateSplit(sourcePhotos);
            if (referencePhotos.Count == 0) { Console.Error.WriteLine("compare-engines: --references-from sources needs at least two source photos"); return 2; }
        }

        var pipeline = MakeupPipeline.Create(analyzer, engines, options);
        var notFound = new List<string>();
        var bare = PairEvaluation.Prepare(pipeline, analyzer, sourcePhotos, notFound);
        var makeup = PairEvaluation.Prepare(pipeline, analyzer, referencePhotos, notFound);
        try
        {
            int total = bare.Count * makeup.Count, limit = cl.Get("pairs", total);
            // the grid indexes the source-major list of all pairs: entry i is source i / R, reference i % R
            var chosen = layout == "balanced"
                ? PairEvaluation.BalancedPairs(bare.Count, makeup.Count, limit, phase)
                : [.. PairEvaluation.EvenlySpacedIndices(total, limit, phase).Select(i => (Source: i / makeup.Count, Reference: i % makeup.Count))];
            if (usedPairs is not null)
            {
                int before = chosen.Length;
                chosen = [.. chosen.Where(p => !usedPairs.Contains(bare[p.Source].Name, makeup[p.Reference].Name))];
                Console.WriteLine($"--pairs-exclude: {before - chosen.Length} of the {before} chosen pairs were used before; {chosen.Length} fresh pairs remain");
                if (chosen.Length == 0) { Console.Error.WriteLine("compare-engines: every chosen pair was used before"); return 2; }
            }
            // Pairs whose reference the service refuses (reference_without_colour) are left out after the choice,
            // so the rest are the same pairs as without the check.
            var refused = makeup.Where(r => !pipeline.AcceptsAsReference(r.Aligned)).Select(r => r.Name).ToHashSet();
            if (refused.Count > 0)
            {
                int before = chosen.Length;
                chosen = [.. chosen.Where(p => !refused.Contains(makeup[p.Reference].Name))];
                Console.WriteLine($"references without colour (refused by the service): {refused.Count}; {before - chosen.Length} of the {before} chosen pairs left out");
                if (chosen.Length == 0) { Console.Error.WriteLine("compare-engines: every chosen pair has a reference without colour"); return 2; }
            }
            List<(PreparedPhoto s, PreparedPhoto r)> pairs = [.. chosen.Select(p => (bare[p.Source], makeup[p.Reference]))];
            int usedSources = chosen.Select(p => p.Source).Distinct().Count(), usedReferences = chosen.Select(p => p.Reference).Distinct().Count();
            Console.WriteLine($"{bare.Count} sources x {makeup.Count} references, {pairs.Count} pairs ({layout}) using {usedSources} sources " +
                              $"and {usedReferences} references; faces not found: {notFound.Count}");
            if (usedReferences < Math.Min(pairs.Count, makeup.Count) / 2 || usedSources < Math.Min(pairs.Count, bare.Count) / 2)
                Console.WriteLine("(the pairs use under half of the photos they could: the grid's stride aliases with the photo counts; " +
                                  "--pairs-layout balanced spreads them)");

            var table = new StringBuilder();
            table.AppendLine("| engine | pairs | lips dE to ref | lips moved | lips hist | eyes dE to ref | eyes moved | eyes hist | skin dE to ref | skin moved | detail SSIM | landmark drift | bg px changed | ms/pair |");
            table.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            var csv = new StringBuilder("engine,source,reference,lips_before,lips_after,lips_moved,eyes_before,eyes_after,eyes_moved,skin_before,skin_after,skin_moved,lips_hist,eyes_hist,skin_hist,detail_ssim,landmark_drift,bg_changed,protected_de,opening_de,eyes_on_skin_before,eyes_on_skin_after,eyes_on_skin_moved,brows_before,brows_after,brows_moved,brows_on_skin_before,brows_on_skin_after,brows_on_skin_moved,skin_lightness_gap,lip_ring_de,skin_de,cheeks_on_skin_before,cheeks_on_skin_after,cheeks_on_skin_moved,cheek_sides_gap,ms\n");
            foreach (var engine in engines)
            {
                var results = new ConcurrentBag<PairMeasurement>();
                Parallel.ForEach(pairs, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                    p => results.Add(PairEvaluation.Measure(pipeline, analyzer, engine, p.s, p.r, RegionStrengths.All)));
                var r = results.OrderBy(m => m.Source, StringComparer.Ordinal).ThenBy(m => m.Reference, StringComparer.Ordinal).ToList();
                foreach (var m in r) csv.AppendLine(CsvRow(engine.Name, m));
                table.AppendLine(string.Join(" | ", [
                    "| " + engine.Name, r.Count.ToString(CultureInfo.InvariantCulture),
                    F(Median(r, m => m.Lips?.After)), P(Median(r, m => m.Lips?.Fraction)), F(Median(r, m => m.LipsHistogram), "F3"),
                    F(Median(r, m => m.Eyes?.After)), P(Median(r, m => m.Eyes?.Fraction)), F(Median(r, m => m.EyesHistogram), "F3"),
                    F(Median(r, m => m.Skin?.After)), P(Median(r, m => m.Skin?.Fraction)),
                    F(Median(r, m => m.DetailSsim), "F3"), P(Median(r, m => m.LandmarkDrift), "P2"),
                    r.Sum(m => m.ChangedOutsideFace).ToString(CultureInfo.InvariantCulture), F(Median(r, m => m.Milliseconds), "F1") + " |"]));
                Console.WriteLine($"{engine.Name}: lips moved 5th pct {P(Percentile(r, m => m.Lips?.Fraction, 0.05))}, eyes moved 5th pct {P(Percentile(r, m => m.Eyes?.Fraction, 0.05))}, max drift {P(r.Max(m => m.LandmarkDrift ?? 1), "P2")}, " +
                                  $"protected pixels (eyeballs, mouth interior, glasses) dE to the source: median {F(Median(r, m => m.ProtectedChange))}, 95th pct {F(Percentile(r, m => m.ProtectedChange, 0.95))}");
                Console.WriteLine($"{engine.Name}: eye band against each face's own skin: dE to ref median {F(Median(r, m => m.EyesOnSkin?.After))}, " +
                                  $"moved median {P(Median(r, m => m.EyesOnSkin?.Fraction))}, 5th pct {P(Percentile(r, m => m.EyesOnSkin?.Fraction, 0.05))}");
                Console.WriteLine($"{engine.Name}: brows: dE to ref median {F(Median(r, m => m.Brows?.After))}, moved median {P(Median(r, m => m.Brows?.Fraction))}; " +
                                  $"against each face's own skin: dE to ref median {F(Median(r, m => m.BrowsOnSkin?.After))}, moved median {P(Median(r, m => m.BrowsOnSkin?.Fraction))}");
                Console.WriteLine($"{engine.Name}: skin round the lips (1.5-4% of the crop outside them) dE to the source, above the rest of the skin's: " +
                                  $"median {F(Median(r, m => m.LipSurround?.Excess))}, 95th pct {F(Percentile(r, m => m.LipSurround?.Excess, 0.95))}");
                var blushed = r.Where(m => m.CheeksOnSkin?.Before >= MinMeaningfulDifference).ToList();
                Console.WriteLine($"{engine.Name}: cheeks (blush) against each face's own skin: dE to ref median {F(Median(r, m => m.CheeksOnSkin?.After))}, " +
                                  $"moved median {P(Median(r, m => m.CheeksOnSkin?.Fraction))}; on the {blushed.Count} pairs whose cheeks differ by {MinMeaningfulDifference} or more: " +
                                  $"dE {F(Median(blushed, m => m.CheeksOnSkin?.After))} (from {F(Median(blushed, m => m.CheeksOnSkin?.Before))}), moved median {P(Median(blushed, m => m.CheeksOnSkin?.Fraction))}");
                Console.WriteLine($"{engine.Name}: one cheek changed more than the other (mean per-pixel dE to the source, larger less smaller side): " +
                                  $"median {F(Median(r, m => m.CheekSidesGap))}, 95th pct {F(Percentile(r, m => m.CheekSidesGap, 0.95))}, max {F(r.Max(m => m.CheekSidesGap))}, " +
                                  $"pairs over 3: {r.Count(m => m.CheekSidesGap > 3)}");
                int opened = r.Count(m => m.OpeningChange is not null);
                if (opened > 0)
                    Console.WriteLine($"{engine.Name}: annotated open mouths ({opened} pairs), opening (teeth, tongue, cavity) dE to the source: " +
                                      $"median {F(Median(r, m => m.OpeningChange))}, 95th pct {F(Percentile(r, m => m.OpeningChange, 0.95))}");
            }
            table.AppendLine();
            table.AppendLine("Medians over the pairs; dE = CIEDE2000 of mean colours; moved = 1 - dE(out, ref) / dE(source, ref); hist = Bhattacharyya distance of a*b* histograms (0 = same); detail SSIM against the source; drift = mean landmark displacement / outer-eye distance.");
            Console.WriteLine(table);
            if (cl.Get("table") is { } tablePath) File.WriteAllText(tablePath, table.ToString());
            if (cl.Get("csv") is { } csvPath) File.WriteAllText(csvPath, csv.ToString());
            if (cl.Get("sheet") is { } sheetPath) WriteSheet(sheetPath, pipeline, analyzer, engines, pairs, cl.Get("sheet-rows", 6));
        }
        finally
        {
            foreach (var p in bare.Concat(makeup)) p.Dispose();
        }
        return 0;
    }

    /// <summary>
    /// --unseen-by INDEX [--unseen-side S]: removes from the photo lists every photo the training set of INDEX was made
    /// from. Returns why the options cannot be followed, or null.
    /// </summary>
    private static string? LeaveOutTrainedOn(CommandLine cl, List<string> sourcePhotos, List<string> referencePhotos, bool referencesFromSources)
    {
        if (cl.Get("unseen-by") is not { } indexPath) return null;
        var side = cl.Get("unseen-side", "both");
        if (side is not ("sources" or "references" or "both"))
            throw new UsageException($"--unseen-side is sources, references or both, not '{side}'");
        TrainingSetIndex trainedOn;
        try { trainedOn = TrainingSetIndex.Load(indexPath); }
        catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException) { return e.Message; }

        int before = sourcePhotos.Count + referencePhotos.Count;
        if (side != "references") sourcePhotos.RemoveAll(trainedOn.Used);
        if (side != "sources") referencePhotos.RemoveAll(trainedOn.Used);
        Console.WriteLine($"--unseen-by: {before - sourcePhotos.Count - referencePhotos.Count} photos left out ({side}), used by the {trainedOn.Count}-photo training set");
        if (sourcePhotos.Count > 0 && (referencePhotos.Count > 0 || referencesFromSources)) return null;
        return $"training used every {(sourcePhotos.Count == 0 ? "source" : "reference")} photo; " +
               "pass other --sources/--references or --unseen-side, or prepare the training set with --hold-out-every K";
    }

    /// <summary>The photos at even positions (0, 2, ...) as sources, those at odd positions as references.</summary>
    internal static (List<string> Sources, List<string> References) AlternateSplit(IReadOnlyList<string> photos) =>
        ([.. photos.Where((_, i) => i % 2 == 0)], [.. photos.Where((_, i) => i % 2 == 1)]);

    private static IEnumerable<string> ImagesIn(string folder) =>
        Directory.EnumerateFiles(folder).Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal);

    private static void WriteSheet(string path, MakeupPipeline pipeline, FaceAnalyzer analyzer, List<IMakeupEngine> engines,
        List<(PreparedPhoto s, PreparedPhoto r)> pairs, int rows)
    {
        const int cell = 256;
        var chosen = PairEvaluation.EvenlySpacedIndices(pairs.Count, rows).Select(i => pairs[i]).ToList();
        using var sheet = new Mat(cell * chosen.Count, cell * (2 + engines.Count), MatType.CV_8UC3, Scalar.All(255));
        for (int row = 0; row < chosen.Count; row++)
        {
            var (s, r) = chosen[row];
            Place(sheet, s.Image, row, 0, cell);
            Place(sheet, r.Image, row, 1, cell);
            for (int e = 0; e < engines.Count; e++)
                PairEvaluation.Measure(pipeline, analyzer, engines[e], s, r, RegionStrengths.All, output =>
                {
                    using (output) Place(sheet, output, row, 2 + e, cell);
                });
        }
        Cv2.ImWrite(path, sheet);
        Console.WriteLine($"wrote {path} (columns: source, reference, {string.Join(", ", engines.Select(e => e.Name))})");
    }

    private static void Place(Mat sheet, Mat image, int row, int column, int cell)
    {
        double scale = (double)cell / Math.Max(image.Width, image.Height);
        using var small = image.Resize(new Size((int)(image.Width * scale), (int)(image.Height * scale)), 0, 0, InterpolationFlags.Area);
        using var roi = new Mat(sheet, new Rect(column * cell + (cell - small.Width) / 2, row * cell + (cell - small.Height) / 2, small.Width, small.Height));
        small.CopyTo(roi);
    }

    private static string CsvRow(string engine, PairMeasurement m)
    {
        static string N(double? v) => v?.ToString("G6", CultureInfo.InvariantCulture) ?? "";
        return string.Join(',', engine, m.Source, m.Reference,
            N(m.Lips?.Before), N(m.Lips?.After), N(m.Lips?.Fraction), N(m.Eyes?.Before), N(m.Eyes?.After), N(m.Eyes?.Fraction),
            N(m.Skin?.Before), N(m.Skin?.After), N(m.Skin?.Fraction), N(m.LipsHistogram), N(m.EyesHistogram), N(m.SkinHistogram),
            N(m.DetailSsim), N(m.LandmarkDrift), m.ChangedOutsideFace.ToString(CultureInfo.InvariantCulture), N(m.ProtectedChange), N(m.OpeningChange),
            N(m.EyesOnSkin?.Before), N(m.EyesOnSkin?.After), N(m.EyesOnSkin?.Fraction),
            N(m.Brows?.Before), N(m.Brows?.After), N(m.Brows?.Fraction), N(m.BrowsOnSkin?.Before), N(m.BrowsOnSkin?.After), N(m.BrowsOnSkin?.Fraction),
            N(m.SkinLightnessGap),
            N(m.LipSurround?.Ring), N(m.LipSurround?.Skin),
            N(m.CheeksOnSkin?.Before), N(m.CheeksOnSkin?.After), N(m.CheeksOnSkin?.Fraction), N(m.CheekSidesGap), N(m.Milliseconds));
    }

    private static double? Median(List<PairMeasurement> r, Func<PairMeasurement, double?> f) => Percentile(r, f, 0.5);

    private static double? Percentile(List<PairMeasurement> r, Func<PairMeasurement, double?> f, double p)
    {
        var v = r.Select(f).Where(x => x is not null).Select(x => x!.Value).Order().ToList();
        return v.Count == 0 ? null : v[(int)Math.Round(p * (v.Count - 1))];
    }

    private static string F(double? v, string format = "F2") => v?.ToString(format, CultureInfo.InvariantCulture) ?? "-";
    private static string P(double? v, string format = "P1") => v?.ToString(format, CultureInfo.InvariantCulture) ?? "-";
}
