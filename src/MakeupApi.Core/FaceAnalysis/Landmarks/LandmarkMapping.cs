using System.Text.Json;
using System.Text.Json.Serialization;
using OpenCvSharp;

namespace MakeupApi.FaceAnalysis.Landmarks;

/// <summary>
/// The 68-point iBUG/300-W view of the 468-point mesh: each iBUG point is an affine combination (weights summing to 1)
/// of a few mesh vertices. The weights are fitted on annotated HELEN photos by `makeupapi-cli fit-landmarks`
/// (see <c>LandmarkMappingFitter</c>), not guessed; the file also carries the mesh's left-right mirror index, found
/// from data the same way. Affine combinations commute with rotation, scale and translation, so one set of weights
/// serves every face pose in the photo plane.
/// </summary>
public sealed class LandmarkMapping
{
    public const int IbugCount = 68;
    public const string ResourceName = "MakeupApi.FaceAnalysis.Landmarks.landmark-mapping.json";

    public required MappedPoint[] Points { get; init; }
    public required int[] MirrorIndex { get; init; }
    public Dictionary<string, JsonElement>? Fit { get; init; }

    public sealed record MappedPoint(int[] Vertices, double[] Weights);

    public Point2f[] ToIbug68(IReadOnlyList<Point3f> mesh)
    {
        var result = new Point2f[IbugCount];
        for (int i = 0; i < IbugCount; i++)
        {
            var p = Points[i];
            double x = 0, y = 0;
            for (int k = 0; k < p.Vertices.Length; k++)
            {
                x += mesh[p.Vertices[k]].X * p.Weights[k];
                y += mesh[p.Vertices[k]].Y * p.Weights[k];
            }
            result[i] = new Point2f((float)x, (float)y);
        }
        return result;
    }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The mapping shipped inside the assembly.</summary>
    public static LandmarkMapping LoadEmbedded()
    {
        using var stream = typeof(LandmarkMapping).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidDataException($"Embedded resource {ResourceName} is missing; run `makeupapi-cli fit-landmarks`.");
        return Load(stream);
    }

    public static LandmarkMapping Load(Stream stream)
    {
        var mapping = JsonSerializer.Deserialize<LandmarkMapping>(stream, Json)
            ?? throw new InvalidDataException("Empty landmark mapping.");
        mapping.Validate();
        return mapping;
    }

    private void Validate()
    {
        if (Points.Length != IbugCount) throw new InvalidDataException($"Landmark mapping has {Points.Length} points, expected 68.");
        if (MirrorIndex.Length != FaceMeshModel.PointCount) throw new InvalidDataException("Mirror index must have 468 entries.");
        foreach (var p in Points)
        {
            if (p.Vertices.Length == 0 || p.Vertices.Length != p.Weights.Length ||
                p.Vertices.Any(v => v < 0 || v >= FaceMeshModel.PointCount) || Math.Abs(p.Weights.Sum() - 1) > 1e-6)
                throw new InvalidDataException("Landmark mapping entry is malformed (vertices/weights).");
        }
    }
}
