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

    /// <summary>
    /// Mesh presence (face flag) below which a detection is dropped as a false positive. Measured with MinScore 0.5 on
    /// HELEN (179 detections besides the annotated faces) and FASSEG: false positives scored at most 0.084, real faces
    /// at least 0.39 (a half-profile; face-api sample2's profile face scores 0.51), except full 90-degree profiles.
    /// 0.2 sits midway in log-odds and is Human's min_faceflag (manifest human_defaults); 0.5 dropped real faces.
    /// </summary>
    [Range(0.0, 0.99)] public float MinPresence { get; init; } = 0.2f;

    /// <summary>
    /// Replace the mesh's eyelid points by the iris model's (MediaPipe Iris, 64x64 eye crops). Measured on HELEN with a
    /// mapping fitted on the other half: eye-point NME 2.53% -> 2.00%, inner-51 3.41% -> 3.29%, for about 11 ms per face.
    /// </summary>
    public bool UseIris { get; init; } = true;

    /// <summary>
    /// Face-mesh passes per face: 1 runs the mesh on the detector's crop, as MediaPipe does for still images; 2 runs it
    /// again on the crop the first mesh suggests, as MediaPipe does between video frames. Measured on HELEN (mapping
    /// fitted on the other half): the second pass lowers the NME from 3.29% to 3.25% (inner 51) and from 4.39% to
    /// 4.32% (all 68) for one more mesh run (5-8 ms per face on the 2-core machine), so one pass is the default.
    /// </summary>
    [Range(1, 3)] public int MeshPasses { get; init; } = 1;
}
