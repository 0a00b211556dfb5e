using MakeupApi.Errors;
using Microsoft.AspNetCore.Diagnostics;

namespace MakeupApi.Api;

/// <summary>
/// The last line: turns anything thrown while serving a request into a ProblemDetails. Client errors keep their
/// status and stable code; anything unexpected becomes a bare 500 with code <c>internal_error</c>: its message and stack
/// trace go to the log only, never to the client.
/// </summary>
internal sealed partial class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    /// <summary>nginx's "client closed request": logged when the caller hung up, never seen by anyone.</summary>
    private const int ClientClosedRequest = 499;

    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        switch (exception)
        {
            case OperationCanceledException when http.RequestAborted.IsCancellationRequested:
                // Nobody is listening; write nothing, but leave a status the request log can show.
                LogClientGone(logger, http.TraceIdentifier);
                http.Response.StatusCode = ClientClosedRequest;
                return true;

            case MakeupException makeup:
                await ApiProblems.From(http, makeup).ExecuteAsync(http);
                return true;

            case BadHttpRequestException bad:
                // Raised by Kestrel (body over MaxRequestBodySize, broken framing) and by parameter binding
                // (RouteHandlerOptions.ThrowOnBadRequest): a client error, with a message written for clients.
                await FromBadRequest(http, bad).ExecuteAsync(http);
                return true;

            default:
                LogUnhandled(logger, exception, http.TraceIdentifier);
                await ApiProblems.Create(StatusCodes.Status500InternalServerError, ApiErrorCodes.InternalError,
                    "Internal server error",
                    "The server failed to process the request. Quote the requestId when reporting this.")
                    .ExecuteAsync(http);
                return true;
        }
    }

    internal static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult FromBadRequest(HttpContext http, BadHttpRequestException bad)
    {
        if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge || IsFormLimit(bad))
            return ApiProblems.Create(StatusCodes.Status413PayloadTooLarge, MakeupError.ImageTooLarge.ToCode(),
                ApiProblems.Title(MakeupError.ImageTooLarge), RequestTooLargeDetail(http));

        if (bad.StatusCode == StatusCodes.Status415UnsupportedMediaType)
            return ApiProblems.Create(StatusCodes.Status415UnsupportedMediaType, ApiErrorCodes.InvalidRequest,
                "Unsupported request content type", "Send the request as multipart/form-data.");

        // Reading the form itself failed (broken multipart framing, truncated body): the request as a whole is malformed.
        if (bad.InnerException is IOException or InvalidDataException)
            return ApiProblems.Create(StatusCodes.Status400BadRequest, ApiErrorCodes.InvalidRequest, "Malformed request",
                "The request body could not be read as multipart/form-data.");

        // "Failed to bind parameter ..." / "Required parameter ... was not provided": one bad field, named in the message.
        return bad.Message.Contains("parameter", StringComparison.OrdinalIgnoreCase)
            ? ApiProblems.Create(StatusCodes.Status400BadRequest, MakeupError.InvalidParameter.ToCode(),
                ApiProblems.Title(MakeupError.InvalidParameter), bad.Message)
            : ApiProblems.Create(StatusCodes.Status400BadRequest, ApiErrorCodes.InvalidRequest, "Malformed request",
                "The request could not be read.");
    }

    /// <summary>
    /// Form parsing reports a part over FormOptions.MultipartBodyLengthLimit (or too many/too long fields) as
    /// InvalidDataException; minimal-API binding wraps it in a 400 BadHttpRequestException. It is a size refusal: 413.
    /// </summary>
    private static bool IsFormLimit(BadHttpRequestException bad) =>
        bad.InnerException is InvalidDataException inner && inner.Message.Contains("limit", StringComparison.OrdinalIgnoreCase);

    private static string RequestTooLargeDetail(HttpContext http)
    {
        var limits = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Imaging.ImageLimits>>().Value;
        return $"The request is larger than allowed: each image may be at most {limits.MaxBytes} bytes.";
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception while serving request {RequestId}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string requestId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Client closed request {RequestId} before it completed")]
    private static partial void LogClientGone(ILogger logger, string requestId);
}
