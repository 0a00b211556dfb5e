namespace MakeupApi.Errors;

/// <summary>
/// Stable, client-facing error codes. The string form (see <see cref="MakeupErrorCodes"/>) is part of the
/// public API: clients switch on it, so a value is never renamed once shipped.
/// </summary>
public enum MakeupError
{
    ImageUnsupported,
    ImageCorrupt,
    ImageTooLarge,
    ImageTooManyPixels,
    ImageTooSmall,
    NoFace,
    FaceTooSmall,
    FaceIndexOutOfRange,
    InvalidParameter,
    EngineUnavailable,
    Busy,
    ReferenceWithoutColour,
}

public static class MakeupErrorCodes
{
    public static string ToCode(this MakeupError error) => error switch
    {
        MakeupError.ImageUnsupported => "image_unsupported",
        MakeupError.ImageCorrupt => "image_corrupt",
        MakeupError.ImageTooLarge => "image_too_large",
        MakeupError.ImageTooManyPixels => "image_too_many_pixels",
        MakeupError.ImageTooSmall => "image_too_small",
        MakeupError.NoFace => "no_face",
        MakeupError.FaceTooSmall => "face_too_small",
        MakeupError.FaceIndexOutOfRange => "face_index_out_of_range",
        MakeupError.InvalidParameter => "invalid_parameter",
        MakeupError.EngineUnavailable => "engine_unavailable",
        MakeupError.Busy => "busy",
        MakeupError.ReferenceWithoutColour => "reference_without_colour",
        _ => throw new ArgumentOutOfRangeException(nameof(error), error, null),
    };

    /// <summary>The HTTP status each error maps to (RFC 9110 semantics).</summary>
    public static int ToHttpStatus(this MakeupError error) => error switch
    {
        MakeupError.ImageUnsupported => 415,
        MakeupError.ImageCorrupt => 400,
        MakeupError.ImageTooLarge => 413,
        MakeupError.ImageTooManyPixels => 413,
        MakeupError.ImageTooSmall => 422,
        MakeupError.NoFace => 422,
        MakeupError.FaceTooSmall => 422,
        MakeupError.FaceIndexOutOfRange => 422,
        MakeupError.InvalidParameter => 400,
        MakeupError.EngineUnavailable => 422,
        MakeupError.Busy => 429,
        MakeupError.ReferenceWithoutColour => 422,
        _ => 400,
    };
}

/// <summary>
/// A failure caused by what the client sent (or by load), carrying a stable code.
/// Thrown by the pipeline stages; the API turns it into RFC 9457 ProblemDetails.
/// </summary>
public sealed class MakeupException(MakeupError error, string detail, string? subject = null) : Exception(detail)
{
    public MakeupError Error { get; } = error;

    /// <summary>Which input the error is about ("source", "reference", "image"), when there is one.</summary>
    public string? Subject { get; } = subject;
}
