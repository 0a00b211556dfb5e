using System.Diagnostics;
using MakeupApi.Alignment;
using MakeupApi.Compositing;
using MakeupApi.Errors;
using MakeupApi.FaceAnalysis;
using MakeupApi.FaceAnalysis.Landmarks;
using MakeupApi.FaceAnalysis.Parsing;
using MakeupApi.Imaging;
using MakeupApi.PoseCorrection;
using MakeupApi.Transfer;
using Microsoft.Extensions.Options;
using OpenCvSharp;

namespace MakeupApi.Pipeline;

/// <summary>
/// The improved-PSGAN pipeline, shared by all requests and holding no per-request state:
/// decode -> detect + mesh -> align and parse -> pose correction -> transfer engine -> colour return -> paste back -> encode.
/// The source and reference photos go through their first three stages in parallel.
/// </summary>
public sealed class MakeupPipeline : IMakeupPipeline
{
    private readonly FaceAnalyzer _analyzer;
    private readonly FaceParser _parser;
    private readonly TriangulationWarp _poseCorrection;
    private readonly ColorReturn _colorReturn;
    private readonly FacePaster _paster;
    private readonly IReadOnlyDictionary<string, IMakeupEngine> _engines;
    private readonly ImageLimits _limits;
    private readonly PipelineOptions _options;

    public MakeupPipeline(FaceAnalyzer analyzer, FaceParser parser, TriangulationWarp poseCorrection,
        ColorReturn colorReturn, FacePaster paster,
        IEnumerable<IMakeupEngine> engines, IOptions<ImageLimits> limits, IOptions<PipelineOptions> options)
    {
        _colorReturn = colorReturn;
        _paster = paster;
        _analyzer = analyzer;
        _parser = parser;
        _poseCorrection = poseCorrection;
        _engines = engines.Where(e => e is not UnavailableEngine).ToDictionary(e => e.Name, StringComparer.OrdinalIgnoreCase);
        _limits = limits.Value;
        _options = options.Value;
    }

    /// <summary>The pipeline with default stages and options around an existing analyzer (tools and tests; the service uses DI).</summary>
    public static MakeupPipeline Create(FaceAnalyzer analyzer, IEnumerable<IMakeupEngine> engines, PipelineOptions? options = null) =>
        new(analyzer, new FaceParser(), new TriangulationWarp(analyzer.Mapping.MirrorIndex), new ColorReturn(), new FacePaster(),
            engines, Options.Create(new ImageLimits()), Options.Create(options ?? new PipelineOptions()));

    public IReadOnlyList<string> AvailableEngines => [.. _engines.Keys.Order(StringComparer.Ordinal)];

    public TransferResult Transfer(ReadOnlySpan<byte> source, ReadOnlySpan<byte> reference, TransferOptions options, CancellationToken cancellationToken)
    {
        Validate(options);
        var engine = SelectEngine(options.Engine);
        var clock = new StageClock();
        var strengths = options.Regions.Scale(options.Intensity);

        // Spans cannot cross into the parallel branches; the copies are bounded by the upload limit checked upstream.
        var sourceBytes = source.ToArray();
        var referenceBytes = reference.ToArray();
        var sourceTask = Task.Run(() => Prepare(sourceBytes, "source", options.SourceFaceIndex, clock, cancellationToken));
        var referenceTask = Task.Run(() => Prepare(referenceBytes, "reference", options.ReferenceFaceIndex, clock, cancellationToken));
        try
        {
            // No token here: both branches observe it themselves, and each must finish so its Mats can be disposed.
            Task.WaitAll(sourceTask, referenceTask);
        }
        catch (AggregateException e)
        {
            DisposeCompleted(sourceTask, referenceTask);
            // Report the client's problem (a MakeupException) before anything else, the source's first.
            var first = e.InnerExceptions.OfType<MakeupException>().FirstOrDefault() ?? e.InnerExceptions[0];
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
            throw;
        }

        var (sourceImage, src) = sourceTask.Result;
        var (referenceImage, refFace) = referenceTask.Result;
        Mat? composed = null;
        try
        {
            referenceImage.Dispose(); // the reference is needed only as its aligned crop from here on
            if (!strengths.IsZero)
            {
                cancellationToken.ThrowIfCancellationRequested();
                composed = Compose(sourceImage, src, refFace, engine, strengths, clock);
            }
            // With nothing to transfer the answer is the source photo itself, untouched by any resampling.
            var output = composed ?? sourceImage;
            var encoded = clock.Time("encode", () => ImageCodec.Encode(output, options.Format));
            return new TransferResult(encoded, ImageCodec.ContentType(options.Format), engine.Name,
                output.Width, output.Height, clock.Timings);
        }
        finally
        {
            composed?.Dispose();
            src.Dispose();
            refFace.Dispose();
            sourceImage.Dispose();
        }
    }

    /// <summary>
    /// Steps 3 to 6 on prepared faces: pose correction, transfer, colour return, and paste back into a copy of
    /// <paramref name="sourceImage"/> (pixels outside the face's feathered mask keep their exact values).
    /// </summary>
    internal Mat Compose(Mat sourceImage, AlignedFace src, AlignedFace reference, IMakeupEngine engine, RegionStrengths strengths, StageClock clock)
    {
        using var warped = clock.Time("pose", () => _poseCorrection.Warp(src, reference));
        using var transferred = clock.Time("transfer", () => engine.Transfer(src, warped, strengths));
        using var returned = clock.Time("color", () => _colorReturn.Apply(src, transferred, _options.ColorReturnStrength));
        return clock.Time("paste", () => _paster.Paste(sourceImage, src, returned));
    }

    public AnalyzeResult Analyze(ReadOnlySpan<byte> image, CancellationToken cancellationToken)
    {
        var clock = new StageClock();
        long start = Stopwatch.GetTimestamp();
        using var bgr = ImageCodec.Decode(image, _limits, "image"); // a span cannot enter the timing lambda
        clock.Add("decode", Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        var faces = clock.Time("detect", () => _analyzer.FindFaces(bgr, cancellationToken));
        var reports = faces.Select((f, i) => new FaceReport(
            i, f.Detection.Score,
            [f.Detection.Box.X, f.Detection.Box.Y, f.Detection.Box.Width, f.Detection.Box.Height],
            f.Detection.Keypoints.Select(p => new[] { p.X, p.Y }).ToArray(),
            f.Ibug68.Select(p => new[] { p.X, p.Y }).ToArray(),
            f.Mesh.Select(p => new[] { p.X, p.Y, p.Z }).ToArray(),
            Math.Round(FaceMeshModel.RoiFromMesh(f.Mesh).Angle * 180 / Math.PI, 2))).ToList();
        return new AnalyzeResult(bgr.Width, bgr.Height, reports, clock.Timings);
    }

    public IMakeupEngine Engine(EngineChoice choice) => SelectEngine(choice);

    private (Mat Image, AlignedFace Face) Prepare(byte[] bytes, string subject, int? faceIndex, StageClock clock, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var image = clock.Time($"decode-{subject}", () => ImageCodec.Decode(bytes, _limits, subject));
        try
        {
            var faces = clock.Time($"detect-{subject}", () => _analyzer.FindFaces(image, ct));
            var face = SelectFace(faces, faceIndex, subject);
            var aligned = clock.Time($"align-{subject}", () => AlignAndParse(image, face));
            if (subject == "reference")
            {
                try
                {
                    CheckReferenceColour(aligned);
                }
                catch
                {
                    aligned.Dispose();
                    throw;
                }
            }
            return (image, aligned);
        }
        catch
        {
            image.Dispose();
            throw;
        }
    }

    internal AlignedFace AlignAndParse(Mat image, FaceLandmarks face)
    {
        var (crop, toCrop, mesh, depth, ibug) = FaceAligner.Crop(image, face, _options.WorkingSize);
        try
        {
            var labels = _parser.Parse(crop, mesh, depth);
            return new AlignedFace { Image = crop, Labels = labels, ToCrop = toCrop, Mesh = mesh, MeshDepth = depth, Ibug68 = ibug };
        }
        catch
        {
            crop.Dispose();
            toCrop.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Refuses a reference that has no colour to give (<see cref="PipelineOptions.MinReferenceColourfulness"/>): a
    /// black-and-white or toned photo.
    /// </summary>
    private void CheckReferenceColour(AlignedFace reference)
    {
        if (ReferenceColourfulness(reference) is { } colour && colour < _options.MinReferenceColourfulness)
            throw new MakeupException(MakeupError.ReferenceWithoutColour,
                $"The reference photo's face shows almost no colour ({colour:F1}, at least {_options.MinReferenceColourfulness:F1} is needed): " +
                "a black-and-white or toned photo has no makeup colours to take. Send a colour photo.", "reference");
    }

    /// <summary>
    /// Whether a prepared face could serve as a reference: false for one the service would refuse as
    /// reference_without_colour. For evaluations that compose pairs without the request path.
    /// </summary>
    public bool AcceptsAsReference(AlignedFace reference) =>
        ReferenceColourfulness(reference) is not { } colour || colour >= _options.MinReferenceColourfulness;

    /// <summary>The face's colourfulness, or null when the check is turned off or the labels show no face.</summary>
    private double? ReferenceColourfulness(AlignedFace reference) =>
        _options.MinReferenceColourfulness > 0 ? FaceColourfulness.Measure(reference.Image, reference.Labels) : null;

    internal FaceLandmarks SelectFace(IReadOnlyList<FaceLandmarks> faces, int? index, string subject)
    {
        if (faces.Count == 0)
            throw new MakeupException(MakeupError.NoFace, $"No face was found in the {subject} photo.", subject);
        int i = index ?? 0;
        if (i < 0 || i >= faces.Count)
            throw new MakeupException(MakeupError.FaceIndexOutOfRange,
                $"The {subject} photo has {faces.Count} face(s); face index {i} does not exist.", subject);
        var face = faces[i];
        float side = Math.Max(face.Detection.Box.Width, face.Detection.Box.Height);
        if (side < _analyzer.Options.MinFaceSize)
            throw new MakeupException(MakeupError.FaceTooSmall,
                $"The face in the {subject} photo is {side:F0} px wide; at least {_analyzer.Options.MinFaceSize} px is needed.", subject);
        return face;
    }

    private IMakeupEngine SelectEngine(EngineChoice choice)
    {
        string name = choice switch
        {
            EngineChoice.Classical => "classical",
            EngineChoice.Generator => "generator",
            _ => _engines.ContainsKey(_options.DefaultEngine) ? _options.DefaultEngine : "classical",
        };
        return _engines.TryGetValue(name, out var engine) ? engine
            : throw new MakeupException(MakeupError.EngineUnavailable,
                $"The '{name}' engine is not available on this server (see GET /models); available: {string.Join(", ", AvailableEngines)}.");
    }

    private static void Validate(TransferOptions options)
    {
        static void Check(float value, string name)
        {
            if (!(value >= 0 && value <= 1))
                throw new MakeupException(MakeupError.InvalidParameter, $"'{name}' must be between 0 and 1; got {value}.", name);
        }
        Check(options.Intensity, "intensity");
        Check(options.Regions.Lips, "lips");
        Check(options.Regions.Eyes, "eyes");
        Check(options.Regions.Brows, "brows");
        Check(options.Regions.Skin, "skin");
    }

    private static void DisposeCompleted(params Task<(Mat Image, AlignedFace Face)>[] tasks)
    {
        foreach (var t in tasks)
        {
            if (!t.IsCompletedSuccessfully) continue;
            t.Result.Image.Dispose();
            t.Result.Face.Dispose();
        }
    }
}
