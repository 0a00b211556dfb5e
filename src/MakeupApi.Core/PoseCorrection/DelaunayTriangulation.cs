using OpenCvSharp;

namespace MakeupApi.PoseCorrection;

/// <summary>A triangle as three indices into a point list.</summary>
internal readonly record struct IndexTriangle(int A, int B, int C);

/// <summary>
/// Delaunay triangulation of a point set with OpenCV's <see cref="Subdiv2D"/>, returned as index triples.
/// Coincident points (two mesh vertices projecting to the same pixel position) are inserted once; the triangle
/// refers to the first of them.
/// </summary>
internal static class DelaunayTriangulation
{
    public static IndexTriangle[] Triangulate(ReadOnlySpan<Point2f> points)
    {
        if (points.Length < 3) return [];

        // Subdiv2D rejects points on or beyond the far edge of its rectangle, so the rectangle bounds every point
        // with a margin.
        float minX = float.MaxValue, minY = float.MaxValue, maxX = float.MinValue, maxY = float.MinValue;
        foreach (var p in points)
        {
            if (!float.IsFinite(p.X) || !float.IsFinite(p.Y))
                throw new ArgumentException("Triangulation points must be finite.", nameof(points));
            minX = Math.Min(minX, p.X); minY = Math.Min(minY, p.Y);
            maxX = Math.Max(maxX, p.X); maxY = Math.Max(maxY, p.Y);
        }
        var rect = new Rect(
            (int)Math.Floor(minX) - 2, (int)Math.Floor(minY) - 2,
            (int)Math.Ceiling(maxX - minX) + 5, (int)Math.Ceiling(maxY - minY) + 5);

        using var subdiv = new Subdiv2D(rect);
        // GetTriangleList reports vertices by coordinates; those are the floats we inserted, so an exact-key map
        // turns them back into indices.
        var indexOf = new Dictionary<(float, float), int>(points.Length);
        for (int i = 0; i < points.Length; i++)
        {
            var key = (points[i].X, points[i].Y);
            if (indexOf.TryAdd(key, i)) subdiv.Insert(points[i]);
        }

        var list = subdiv.GetTriangleList();
        var triangles = new List<IndexTriangle>(list.Length);
        foreach (var t in list)
        {
            // Triangles touching Subdiv2D's virtual outer vertices are already dropped by OpenCV (they lie outside
            // the rectangle); the lookup guards against anything else that is not one of ours.
            if (indexOf.TryGetValue((t.Item0, t.Item1), out int a)
                && indexOf.TryGetValue((t.Item2, t.Item3), out int b)
                && indexOf.TryGetValue((t.Item4, t.Item5), out int c)
                && a != b && b != c && a != c)
            {
                triangles.Add(new IndexTriangle(a, b, c));
            }
        }
        return triangles.ToArray();
    }
}
