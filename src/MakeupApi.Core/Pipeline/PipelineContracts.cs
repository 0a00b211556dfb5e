using MakeupApi.Imaging;
using MakeupApi.Transfer;

namespace MakeupApi.Pipeline;

public enum EngineChoice { Auto, Classical, Generator }

/// <summary>What a client asks of one transfer.</summary>
public sealed record TransferOptions
{
    /// <summary>Overall strength in [0, 1]; 0 returns the source unchanged.</summary>
    public float Intensity { get; init; } = 1f;
    public RegionStrengths Regions { get; init; } = RegionStrengths.All;
    /// <summary>Which face of the source photo, in detector order (largest first); null = the largest.</summary>
    public int? SourceFaceIndex { get; init; }
    public int? ReferenceFaceIndex { get; init; }
    public OutputImageFormat Format { get; init; } = OutputImageFormat.Png;
    public EngineChoice Engine { get; init; } = EngineChoice.Auto;
}

public sealed record StageTiming(string Name, double Milliseconds);

public sealed record TransferResult(byte[] Image, string ContentType, string Engine, int Width, int Height, IReadOnlyList<StageTiming> Timings);

public sealed record FaceReport(
    int Index,
    float Score,
    float[] Box,            // x, y, width, height in image pixels
    float[][] Keypoints,    // detector keypoints [x, y]
    float[][] Landmarks68,  // iBUG/300-W order [x, y]
    float[][] Mesh,         // 468 [x, y, z]
    double RollDegrees);

public sealed record AnalyzeResult(int Width, int Height, IReadOnlyList<FaceReport> Faces, IReadOnlyList<StageTiming> Timings);

/// <summary>The whole service behind the HTTP API.</summary>
public interface IMakeupPipeline
{
    IReadOnlyList<string> AvailableEngines { get; }
    TransferResult Transfer(ReadOnlySpan<byte> source, ReadOnlySpan<byte> reference, TransferOptions options, CancellationToken cancellationToken);
    AnalyzeResult Analyze(ReadOnlySpan<byte> image, CancellationToken cancellationToken);
}
