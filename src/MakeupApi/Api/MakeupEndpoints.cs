using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using MakeupApi.Errors;
using MakeupApi.Imaging;
using MakeupApi.Onnx;
using MakeupApi.Pipeline;
using MakeupApi.Transfer;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;
using Serilog;

namespace MakeupApi.Api;

/// <summary>Liveness/readiness answer.</summary>
public sealed record HealthResponse(string Status);

/// <summary>What GET /models reports: the loaded models and the engines a transfer may ask for.</summary>
public sealed record ModelsResponse(IReadOnlyList<ModelInfo> Models, IReadOnlyList<string> Engines);

/// <summary>The HTTP API: every route, its handler and its OpenAPI description.</summary>
public static class MakeupEndpoints
{
    public const string EngineHeader = "X-Makeup-Engine";

    public static IEndpointRouteBuilder MapMakeupApi(this IEndpointRouteBuilder app)
    {
        // People open the service root in a browser: send them to the interactive docs.
        app.MapGet("/", () => TypedResults.Redirect("/swagger")).ExcludeFromDescription();

        var images = app.MapGroup("").WithTags("Makeup")
            .AddEndpointFilterFactory(ImageUploadFilter.Create)
            // A JSON-less multipart API called by backends and curl: no antiforgery token exists to check.
            .DisableAntiforgery()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesProblem(StatusCodes.Status500InternalServerError);

        images.MapPost("/transfer", Transfer)
            .WithName("Transfer")
            .WithSummary("Apply the reference face's makeup to the source photo")
            .WithDescription(
                "Send two photos as multipart/form-data: `source` (the face to make up) and `reference` (a face wearing " +
                "makeup). The answer is the source photo at its own size wearing the reference's makeup, as PNG " +
                "(default) or JPEG (`format=jpeg` or `Accept: image/jpeg`). `intensity` scales everything; `lips`, " +
                "`eyes`, `brows` and `skin` scale one region each (0 turns it off). The `Server-Timing` header lists the " +
                "time of each stage; `X-Makeup-Engine` says which engine ran. Errors are RFC 9457 problems with a stable " +
                "`code` and, for an image, a `subject` (source or reference). A black-and-white or toned (sepia) " +
                "reference has no makeup colour to give and is refused with 422 `reference_without_colour`; a source " +
                "may be either.")
            .Produces(StatusCodes.Status200OK, typeof(Stream), "image/png", "image/jpeg");

        images.MapPost("/analyze", Analyze)
            .WithName("Analyze")
            .WithSummary("Find the faces in a photo and their landmarks")
            .WithDescription(
                "Send one photo as the multipart field `image`. The answer lists every face found, largest first, with " +
                "its box, detector keypoints, the 68 iBUG/300-W landmarks and the 468-point mesh, in image pixels.");

        var ops = app.MapGroup("").WithTags("Operations");
        ops.MapGet("/health/live", Live)
            .WithName("Live")
            .WithSummary("Liveness: 200 whenever the process is serving HTTP");
        ops.MapGet("/health/ready", Ready)
            .WithName("Ready")
            .WithSummary("Readiness: 200 once the models are loaded and warmed up, 503 before")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        ops.MapGet("/models", Models)
            .WithName("Models")
            .WithSummary("The loaded ONNX models and the available transfer engines");
        return app;
    }

    // The files are nullable so that a missing one reaches ImageUploadFilter, which names it in the problem's subject
    // (a non-nullable IFormFile fails binding first, with a generic message). [Required], [Range] and [AllowedValues]
    // only document the form in OpenAPI (see FormFieldsOperationFilter); the checks themselves are the code below.
    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> Transfer(
        [Required, Description("The photo to make up (JPEG, PNG, WebP or BMP).")] IFormFile? source,
        [Required, Description("A photo of a face wearing the makeup to copy.")] IFormFile? reference,
        [FromForm, Range(0.0, 1.0), Description("Overall strength, 0 to 1 (default 1).")] float? intensity,
        [FromForm, Range(0.0, 1.0), Description("Lip makeup strength, 0 to 1 (default 1; 0 = off).")] float? lips,
        [FromForm, Range(0.0, 1.0), Description("Eye makeup strength, 0 to 1 (default 1; 0 = off).")] float? eyes,
        [FromForm, Range(0.0, 1.0), Description("Eyebrow strength, 0 to 1 (default 1; 0 = off).")] float? brows,
        [FromForm, Range(0.0, 1.0), Description("Skin/foundation strength, 0 to 1 (default 1; 0 = off).")] float? skin,
        [FromForm, Range(0.0, 1.0), Description("Blush strength, 0 to 1 (default: the skin strength; 0 = off). The classical engine's; the generator's cheeks follow skin.")] float? blush,
        [FromForm, Range(0, 1000), Description("Index of the source face, largest first (default 0).")] int? sourceFace,
        [FromForm, Range(0, 1000), Description("Index of the reference face, largest first (default 0).")] int? referenceFace,
        [FromForm, AllowedValues("png", "jpeg", null), Description("png or jpeg (default: from Accept, else png).")] string? format,
        [FromForm, AllowedValues("auto", "classical", "generator", null), Description("classical, generator or auto (default auto: the configured default engine, classical as shipped). " +
            "generator is experimental: an undertrained PSGAN that measures behind classical on every lip and eye measure, " +
            "and far behind with reference photos unlike its training set's (README, Engines compared).")] string? engine,
        HttpContext http,
        IMakeupPipeline pipeline,
        PipelineGate gate,
        IDiagnosticContext diagnostics)
    {
        // The filter has checked both files; null here would be a wiring bug, not a client error.
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(reference);

        var regions = new RegionStrengths(lips ?? 1f, eyes ?? 1f, brows ?? 1f, skin ?? 1f, blush);
        foreach (var (name, value) in (ReadOnlySpan<(string, float)>)
                 [("intensity", intensity ?? 1f), ("lips", regions.Lips), ("eyes", regions.Eyes), ("brows", regions.Brows), ("skin", regions.Skin),
                  ("blush", regions.BlushOrSkin)])
        {
            // Written so that NaN, which compares false with everything, is refused too.
            if (!(value is >= 0f and <= 1f))
                return ApiProblems.From(http, MakeupError.InvalidParameter, $"'{name}' must be between 0 and 1; got {value}.", name);
        }
        foreach (var (name, value) in (ReadOnlySpan<(string, int?)>)[("sourceFace", sourceFace), ("referenceFace", referenceFace)])
        {
            if (value < 0)
                return ApiProblems.From(http, MakeupError.InvalidParameter, $"'{name}' must be 0 or more; got {value}.", name);
        }
        OutputImageFormat outputFormat;
        if (string.IsNullOrWhiteSpace(format)) outputFormat = FromAccept(http.Request.GetTypedHeaders().Accept);
        else if (!TryParseFormat(format, out outputFormat))
            return ApiProblems.From(http, MakeupError.InvalidParameter, $"'format' must be png or jpeg; got '{format}'.", "format");
        if (!TryParseEngine(engine, out var engineChoice))
            return ApiProblems.From(http, MakeupError.InvalidParameter,
                $"'engine' must be classical, generator or auto; got '{engine}'.", "engine");

        var options = new TransferOptions
        {
            Intensity = intensity ?? 1f,
            Regions = regions,
            SourceFaceIndex = sourceFace,
            ReferenceFaceIndex = referenceFace,
            Format = outputFormat,
            Engine = engineChoice,
        };

        var ct = http.RequestAborted;
        var total = Stopwatch.StartNew();
        TransferResult result;
        double queueMs;
        try
        {
            using var slot = await gate.EnterAsync(ct);
            queueMs = slot.QueueMilliseconds;
            using var sourceBytes = await UploadBuffer.ReadAsync(source, ct);
            using var referenceBytes = await UploadBuffer.ReadAsync(reference, ct);
            // The pipeline is synchronous CPU work: run it on the pool, not on the request's thread. Awaiting it keeps
            // the slot (and the buffers) until it has really finished, even if the client hangs up meanwhile.
            result = await Task.Run(() => pipeline.Transfer(sourceBytes.Span, referenceBytes.Span, options, ct), ct);
        }
        catch (MakeupException e)
        {
            return ApiProblems.From(http, e);
        }

        diagnostics.Set("Engine", result.Engine);
        var headers = http.Response.Headers;
        headers[ServerTiming.Header] = ServerTiming.Format(
            [new StageTiming("queue", queueMs), .. result.Timings, new StageTiming("total", total.Elapsed.TotalMilliseconds)]);
        headers[EngineHeader] = result.Engine;
        // Someone's face: no shared cache may keep it.
        headers.CacheControl = "no-store";
        return TypedResults.File(result.Image, result.ContentType);
    }

    internal static async Task<Results<Ok<AnalyzeResult>, ProblemHttpResult>> Analyze(
        [Required, Description("The photo to analyse (JPEG, PNG, WebP or BMP).")] IFormFile? image,
        HttpContext http,
        IMakeupPipeline pipeline,
        PipelineGate gate)
    {
        ArgumentNullException.ThrowIfNull(image);
        var ct = http.RequestAborted;
        var total = Stopwatch.StartNew();
        AnalyzeResult result;
        double queueMs;
        try
        {
            using var slot = await gate.EnterAsync(ct);
            queueMs = slot.QueueMilliseconds;
            using var bytes = await UploadBuffer.ReadAsync(image, ct);
            result = await Task.Run(() => pipeline.Analyze(bytes.Span, ct), ct);
        }
        catch (MakeupException e)
        {
            return ApiProblems.From(http, e);
        }

        http.Response.Headers[ServerTiming.Header] = ServerTiming.Format(
            [new StageTiming("queue", queueMs), .. result.Timings, new StageTiming("total", total.Elapsed.TotalMilliseconds)]);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(result);
    }

    internal static Ok<HealthResponse> Live() => TypedResults.Ok(new HealthResponse("live"));

    internal static Results<Ok<HealthResponse>, ProblemHttpResult> Ready(IReadiness readiness) =>
        readiness.IsReady
            ? TypedResults.Ok(new HealthResponse("ready"))
            : ApiProblems.Create(StatusCodes.Status503ServiceUnavailable, ApiErrorCodes.NotReady, "Not ready",
                "The models are still loading or warming up.");

    internal static Ok<ModelsResponse> Models(IModelCatalog catalog, IMakeupPipeline pipeline) =>
        TypedResults.Ok(new ModelsResponse(catalog.Models, pipeline.AvailableEngines));

    internal static bool TryParseFormat(string value, out OutputImageFormat format)
    {
        switch (value.Trim().ToLowerInvariant())
        {
            case "png": format = OutputImageFormat.Png; return true;
            case "jpeg" or "jpg": format = OutputImageFormat.Jpeg; return true;
            default: format = OutputImageFormat.Png; return false;
        }
    }

    /// <summary>
    /// The client's preferred image type among the two we produce (highest q, then header order); PNG when the header
    /// names neither (absent, */*, image/*), since PNG is lossless.
    /// </summary>
    internal static OutputImageFormat FromAccept(IList<MediaTypeHeaderValue> accept)
    {
        OutputImageFormat? best = null;
        var bestQuality = 0.0;
        foreach (var media in accept)
        {
            OutputImageFormat? candidate =
                media.MediaType.Equals("image/png", StringComparison.OrdinalIgnoreCase) ? OutputImageFormat.Png
                : media.MediaType.Equals("image/jpeg", StringComparison.OrdinalIgnoreCase) ? OutputImageFormat.Jpeg
                : null;
            var quality = media.Quality ?? 1.0;
            if (candidate is not null && quality > bestQuality) { best = candidate; bestQuality = quality; }
        }
        return best ?? OutputImageFormat.Png;
    }

    internal static bool TryParseEngine(string? value, out EngineChoice engine)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case null or "" or "auto": engine = EngineChoice.Auto; return true;
            case "classical": engine = EngineChoice.Classical; return true;
            case "generator": engine = EngineChoice.Generator; return true;
            default: engine = EngineChoice.Auto; return false;
        }
    }
}
