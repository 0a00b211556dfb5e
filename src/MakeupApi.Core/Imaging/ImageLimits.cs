using System.ComponentModel.DataAnnotations;

namespace MakeupApi.Imaging;

/// <summary>Upload limits, bound from configuration section "Images".</summary>
public sealed record ImageLimits
{
    public const string Section = "Images";

    /// <summary>Largest accepted upload, per file, in bytes.</summary>
    [Range(1024, 512L * 1024 * 1024)]
    public long MaxBytes { get; init; } = 20 * 1024 * 1024;

    /// <summary>Largest accepted width x height, checked from the header before decoding.</summary>
    [Range(1024, 200_000_000)]
    public long MaxPixels { get; init; } = 40_000_000;

    /// <summary>Smallest accepted side; below this no face can reach the detector's minimum size.</summary>
    [Range(16, 4096)]
    public int MinSide { get; init; } = 64;
}
