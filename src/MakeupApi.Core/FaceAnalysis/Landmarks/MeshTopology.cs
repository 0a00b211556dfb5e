namespace MakeupApi.FaceAnalysis.Landmarks;

/// <summary>
/// Facts about the 468-vertex MediaPipe face mesh that do not depend on a photo.
/// The contour index lists are the canonical MediaPipe mesh topology (face_mesh_connections.py in google/mediapipe,
/// Apache-2.0); each list walks around its region in order so it can be filled as a polygon.
/// </summary>
public static class MeshTopology
{
    private static readonly Lazy<int[]> Mirror = new(() => LandmarkMapping.LoadEmbedded().MirrorIndex);

    /// <summary>For each vertex, its left-right mirror vertex (midline vertices map to themselves). Fitted from data.</summary>
    public static IReadOnlyList<int> MirrorIndex => Mirror.Value;

    /// <summary>The face's outer boundary, from the forehead top clockwise (image view).</summary>
    public static readonly int[] FaceOval =
    [
        10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
        152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
    ];

    /// <summary>Outer lip line, starting at the right mouth corner (61).</summary>
    public static readonly int[] LipsOuter =
        [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185];

    /// <summary>Inner lip line (the mouth opening), starting at the right inner corner (78).</summary>
    public static readonly int[] LipsInner =
        [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191];

    /// <summary>Subject's right eye opening (image left), lower lid then upper lid.</summary>
    public static readonly int[] RightEye =
        [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246];

    /// <summary>Subject's left eye opening (image right), lower lid then upper lid.</summary>
    public static readonly int[] LeftEye =
        [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466];

    /// <summary>Subject's right brow: upper edge outward-to-inward, then lower edge back.</summary>
    public static readonly int[] RightBrow = [70, 63, 105, 66, 107, 55, 65, 52, 53, 46];

    /// <summary>Subject's left brow: upper edge outward-to-inward, then lower edge back.</summary>
    public static readonly int[] LeftBrow = [300, 293, 334, 296, 336, 285, 295, 282, 283, 276];
}
