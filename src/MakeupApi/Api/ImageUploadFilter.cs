using System.Buffers;
using MakeupApi.Errors;
using MakeupApi.Imaging;
using Microsoft.Extensions.Options;

namespace MakeupApi.Api;

/// <summary>
/// Cheap checks on every uploaded image before a handler runs, so bad uploads are refused before they wait for a
/// pipeline slot: the file is there and not empty, its size is within Images:MaxBytes, its first bytes are a format
/// we decode (the client's Content-Type is ignored: browsers often send application/octet-stream), and when the
/// header can be read from the first bytes, its claimed width x height is within Images:MaxPixels (a few-byte
/// "pixel bomb" is refused without decoding). Decoding and every deeper check stay in the pipeline.
/// </summary>
internal static class ImageUploadFilter
{
    /// <summary>Enough for a PNG/WebP/BMP header and most JPEG headers; a JPEG with more metadata in front is left to the pipeline.</summary>
    private const int SniffBytes = 64 * 1024;

    /// <summary>Applies to every IFormFile parameter of the handler, named by its parameter name (= form field).</summary>
    public static EndpointFilterDelegate Create(EndpointFilterFactoryContext context, EndpointFilterDelegate next)
    {
        var files = context.MethodInfo.GetParameters()
            .Where(p => p.ParameterType == typeof(IFormFile))
            .Select(p => (p.Position, Name: p.Name!))
            .ToArray();
        if (files.Length == 0) return next;

        return async invocation =>
        {
            var http = invocation.HttpContext;
            var limits = http.RequestServices.GetRequiredService<IOptions<ImageLimits>>().Value;
            foreach (var (position, name) in files)
            {
                var problem = await CheckAsync(http, invocation.GetArgument<IFormFile?>(position), name, limits);
                if (problem is not null) return problem;
            }
            return await next(invocation);
        };
    }

    private static async Task<IResult?> CheckAsync(HttpContext http, IFormFile? file, string name, ImageLimits limits)
    {
        if (file is null)
            return ApiProblems.From(http, MakeupError.InvalidParameter,
                $"The '{name}' image is missing: send it as a file field named '{name}' in multipart/form-data.", name);
        if (file.Length == 0)
            return ApiProblems.From(http, MakeupError.InvalidParameter, $"The '{name}' file is empty.", name);
        if (file.Length > limits.MaxBytes)
            return ApiProblems.From(http, MakeupError.ImageTooLarge,
                $"The {name} image is {file.Length} bytes; the limit is {limits.MaxBytes}.", name);

        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(SniffBytes, file.Length));
        try
        {
            await using var stream = file.OpenReadStream();
            var read = await stream.ReadAtLeastAsync(buffer.AsMemory(0, (int)Math.Min(SniffBytes, file.Length)),
                (int)Math.Min(SniffBytes, file.Length), throwOnEndOfStream: false, http.RequestAborted);
            var head = buffer.AsSpan(0, read);
            if (!HasImageSignature(head))
                return ApiProblems.From(http, MakeupError.ImageUnsupported,
                    $"The {name} file is not a JPEG, PNG, WebP or BMP image.", name);
            if (ImageHeader.TryRead(head) is { } header && header.PixelCount > limits.MaxPixels)
                return ApiProblems.From(http, MakeupError.ImageTooManyPixels,
                    $"The {name} image is {header.Width}x{header.Height}; the limit is {limits.MaxPixels} pixels.", name);
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    /// <summary>Magic numbers of the formats the decoder accepts (the same set ImageHeader reads).</summary>
    internal static bool HasImageSignature(ReadOnlySpan<byte> head) =>
        head.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A])
        || head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])
        || (head.Length >= 12 && head.StartsWith("RIFF"u8) && head.Slice(8, 4).SequenceEqual("WEBP"u8))
        || head.StartsWith("BM"u8);
}

/// <summary>An upload's bytes in a pooled buffer, cleared on return: they are someone's photo.</summary>
internal sealed class UploadBuffer : IDisposable
{
    private byte[]? _array;
    public int Length { get; }

    private UploadBuffer(byte[] array, int length) { _array = array; Length = length; }

    public ReadOnlySpan<byte> Span => _array.AsSpan(0, Length);

    public static async Task<UploadBuffer> ReadAsync(IFormFile file, CancellationToken cancellationToken)
    {
        // The filter has bounded Length by Images:MaxBytes, so this fits an int and a sane allocation.
        var length = checked((int)file.Length);
        var array = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            await using var stream = file.OpenReadStream();
            await stream.ReadExactlyAsync(array.AsMemory(0, length), cancellationToken);
            return new UploadBuffer(array, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(array, clearArray: true);
            throw;
        }
    }

    public void Dispose()
    {
        var array = Interlocked.Exchange(ref _array, null);
        if (array is not null) ArrayPool<byte>.Shared.Return(array, clearArray: true);
    }
}
