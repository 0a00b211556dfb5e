using System.ComponentModel.DataAnnotations;

namespace MakeupApi.FaceAnalysis;

/// <summary>Detector settings; configuration section "FaceAnalysis".</summary>
public sealed record DetectorOptions
{
    public const string Section = "FaceAnalysis";

    /// <summary>Minimum detector score. 0.5 is MediaPipe's full-range default (face_detection_full_range.pbtxt min_score_thresh).</summary>
    [Range(0.05, 0.99)] public float MinScore { get; init; } = 0.5f;

    /// <summary>IoU above which candidates merge (MediaPipe: min_suppression_threshold 0.3).</summary>
    [Range(0.05, 0.95)] public float SuppressionIou { get; init; } = 0.3f;

    /// <summary>
    /// Smallest face, in photo pixels (detector box side). Below ~40 px the 192x192 mesh crop is upsampled more than
    /// 4x and lip/eye landmarks stop being reliable, so such faces are reported as too small.
    /// </summary>
    [Range(8, 4096)] public int MinFaceSize { get; init; } = 40;

    /// <summary>Mesh presence (face flag) below which a detection is dropped as a false positive.</summary>
    [Range(0.0, 0.99)] public float MinPresence { get; init; } = 0.5f;
}
