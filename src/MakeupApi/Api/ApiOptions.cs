using System.ComponentModel.DataAnnotations;

namespace MakeupApi.Api;

/// <summary>How many pipeline runs may execute at once and how many may wait; configuration section "Concurrency".</summary>
public sealed record ConcurrencyOptions
{
    public const string Section = "Concurrency";

    /// <summary>Pipeline runs executing at once; 0 means one per processor (the pipeline is CPU-bound).</summary>
    [Range(0, 1024)]
    public int MaxConcurrent { get; init; }

    /// <summary>Requests that may wait for a free slot; beyond this a request is refused with 429 at once.</summary>
    [Range(0, 10_000)]
    public int QueueLimit { get; init; } = 8;

    /// <summary>Seconds sent in Retry-After with a 429.</summary>
    [Range(1, 3600)]
    public int RetryAfterSeconds { get; init; } = 2;

    public int EffectiveMaxConcurrent => MaxConcurrent > 0 ? MaxConcurrent : Environment.ProcessorCount;
}

/// <summary>HTTP-level request limits; configuration section "Http".</summary>
public sealed record HttpLimitsOptions
{
    public const string Section = "Http";

    /// <summary>
    /// Bytes allowed on top of the image files in one request: multipart boundaries, part headers and the small
    /// text fields. The whole body may be at most 2 x Images:MaxBytes + this.
    /// </summary>
    [Range(4 * 1024, 16 * 1024 * 1024)]
    public int FormOverheadBytes { get; init; } = 256 * 1024;
}
