using System.Buffers;

namespace MakeupApi.Api;

/// <summary>
/// Gives every request one id, used as HttpContext.TraceIdentifier (so logs and problems carry it) and echoed in
/// the X-Request-Id response header. A caller's own X-Request-Id is kept when it is sane, so a mobile backend can
/// follow one call across its logs and ours; anything else (too long, odd characters that could forge log lines or
/// headers) is replaced by a fresh id.
/// </summary>
internal sealed class RequestIdMiddleware(RequestDelegate next)
{
    public const string Header = "X-Request-Id";
    private const int MaxLength = 128;
    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:");

    public Task InvokeAsync(HttpContext http)
    {
        var sent = http.Request.Headers[Header];
        var id = sent.Count == 1 && IsSane(sent[0]) ? sent[0]! : Guid.NewGuid().ToString("N");
        http.TraceIdentifier = id;
        // OnStarting, not a plain header write: the exception handler clears headers before writing its problem.
        http.Response.OnStarting(static state =>
        {
            var ctx = (HttpContext)state;
            ctx.Response.Headers[Header] = ctx.TraceIdentifier;
            return Task.CompletedTask;
        }, http);
        return next(http);
    }

    internal static bool IsSane(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= MaxLength && !value.AsSpan().ContainsAnyExcept(Allowed);
}
