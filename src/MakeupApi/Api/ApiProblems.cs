using System.Globalization;
using MakeupApi.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace MakeupApi.Api;

/// <summary>
/// Error codes that belong to the HTTP layer rather than to the pipeline (those are <see cref="MakeupErrorCodes"/>).
/// Like those, they are public API: never renamed once shipped.
/// </summary>
public static class ApiErrorCodes
{
    public const string InternalError = "internal_error";
    public const string NotReady = "not_ready";
    public const string NotFound = "not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    /// <summary>The request itself is malformed (not multipart, broken multipart body), as opposed to one parameter.</summary>
    public const string InvalidRequest = "invalid_request";
    /// <summary>The client went away before the answer was ready; logged, never seen by a client.</summary>
    public const string ClientClosedRequest = "client_closed_request";
}

/// <summary>
/// Builds every RFC 9457 problem the API sends, so that all of them carry the same members:
/// <c>code</c> (stable), <c>subject</c> (which input, when known), <c>requestId</c> and <c>traceId</c>.
/// </summary>
public static class ApiProblems
{
    public const string CodeKey = "code";
    public const string SubjectKey = "subject";
    public const string RequestIdKey = "requestId";

    public static ProblemHttpResult From(HttpContext http, MakeupException exception) =>
        From(http, exception.Error, exception.Message, exception.Subject);

    public static ProblemHttpResult From(HttpContext http, MakeupError error, string detail, string? subject = null)
    {
        if (error == MakeupError.Busy) SetRetryAfter(http);
        return Create(error.ToHttpStatus(), error.ToCode(), Title(error), detail, subject);
    }

    public static ProblemHttpResult Create(int status, string code, string title, string detail, string? subject = null)
    {
        var extensions = new Dictionary<string, object?> { [CodeKey] = code };
        if (subject is not null) extensions[SubjectKey] = subject;
        // requestId/traceId are added for every problem, this one included, by Customize below.
        return TypedResults.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);
    }

    /// <summary>Tells a refused client when to come back (RFC 9110, 10.2.3), in seconds.</summary>
    public static void SetRetryAfter(HttpContext http)
    {
        var seconds = http.RequestServices.GetRequiredService<IOptions<ConcurrencyOptions>>().Value.RetryAfterSeconds;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Runs for every ProblemDetails the framework writes (ours, the exception handler's, status-code pages'):
    /// adds the request id and a code where the writer gave none, so clients can always switch on <c>code</c>.
    /// </summary>
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        problem.Extensions[RequestIdKey] = context.HttpContext.TraceIdentifier;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        if (!problem.Extensions.TryGetValue(CodeKey, out var code) || code is null)
            problem.Extensions[CodeKey] = code = CodeForStatus(status);
        // Problems the framework writes from a bare status (a body that is not a form, a broken multipart body)
        // carry no detail; say what to fix.
        problem.Detail ??= status switch
        {
            StatusCodes.Status415UnsupportedMediaType => "Send the request as multipart/form-data.",
            StatusCodes.Status400BadRequest => "The request body could not be read as multipart/form-data.",
            _ => null,
        };
        // The request log line then says why a request failed, without a second log line.
        context.HttpContext.RequestServices.GetService<Serilog.IDiagnosticContext>()?.Set("ErrorCode", code);
    }

    public static string CodeForStatus(int status) => status switch
    {
        StatusCodes.Status404NotFound => ApiErrorCodes.NotFound,
        StatusCodes.Status405MethodNotAllowed => ApiErrorCodes.MethodNotAllowed,
        StatusCodes.Status413PayloadTooLarge => MakeupError.ImageTooLarge.ToCode(),
        StatusCodes.Status429TooManyRequests => MakeupError.Busy.ToCode(),
        StatusCodes.Status503ServiceUnavailable => ApiErrorCodes.NotReady,
        >= 500 => ApiErrorCodes.InternalError,
        _ => ApiErrorCodes.InvalidRequest,
    };

    public static string Title(MakeupError error) => error switch
    {
        MakeupError.ImageUnsupported => "Unsupported image format",
        MakeupError.ImageCorrupt => "Image could not be decoded",
        MakeupError.ImageTooLarge => "Image file too large",
        MakeupError.ImageTooManyPixels => "Image has too many pixels",
        MakeupError.ImageTooSmall => "Image too small",
        MakeupError.NoFace => "No face found",
        MakeupError.FaceTooSmall => "Face too small",
        MakeupError.FaceIndexOutOfRange => "Face index out of range",
        MakeupError.InvalidParameter => "Invalid parameter",
        MakeupError.EngineUnavailable => "Engine unavailable",
        MakeupError.Busy => "Server busy",
        MakeupError.ReferenceWithoutColour => "Reference photo has no colour",
        _ => "Bad request",
    };
}
