using MakeupApi.FaceAnalysis.Landmarks;
using OpenCvSharp;

namespace MakeupApi.FaceAnalysis.Parsing;

/// <summary>
/// The parser's regions as polygons over the 468-point MediaPipe mesh, and drawing them. Contours come from
/// <see cref="MeshTopology"/>; the nose and the lip bands are built here.
/// </summary>
internal static class MeshRegions
{
    /// <summary>Fixed-point fraction bits for cv::fillPoly, so polygons keep the mesh's sub-pixel positions.</summary>
    public const int Shift = 4;

    /// <summary>
    /// The nose as CelebAMask-HQ draws it: down the sides of the bridge, round the alae, along the base of the nostrils.
    /// Chosen by drawing the mesh's numbered vertices over labelled photos. The top is not a vertex: see <see cref="NoseApex"/>.
    /// </summary>
    public static readonly int[] NoseSides =
        [417, 412, 399, 456, 420, 360, 279, 278, 294, 327, 326, 2, 97, 98, 64, 48, 49, 131, 198, 236, 174, 188, 193];

    /// <summary>
    /// The labelled noses start between the eyes, above vertex 168 (the mesh's point at the eyes' level) and below 8:
    /// 0.6 of the way from 168 to 8 fits best (nose IoU 0.828 at 168 itself, 0.845 at 0.6, 0.841 at 1.0).
    /// </summary>
    public static Point2f NoseApex(IReadOnlyList<Point2f> mesh) => Lerp(mesh[168], mesh[8], 0.6f);

    /// <summary>Upper lip: the outer line from corner to corner over the top, back along the inner line's upper half.</summary>
    public static readonly int[] UpperLip = LipBand(upper: true);

    /// <summary>Lower lip: the outer line's lower half, back along the inner line's lower half.</summary>
    public static readonly int[] LowerLip = LipBand(upper: false);

    /// <summary>The inner lip line's lower half from corner 78 to corner 308, and its upper half in the same direction.</summary>
    public static readonly int[] InnerLower, InnerUpper;

    static MeshRegions()
    {
        var inner = MeshTopology.LipsInner;
        int ic = Array.IndexOf(inner, 308);
        InnerLower = inner[..(ic + 1)];
        InnerUpper = [inner[0], .. inner[(ic + 1)..].Reverse(), inner[ic]];
    }

    private static int[] LipBand(bool upper)
    {
        // LipsOuter runs 61 (corner) along the lower lip to 291 and back over the upper lip; LipsInner likewise 78 .. 308.
        var outer = MeshTopology.LipsOuter;
        var inner = MeshTopology.LipsInner;
        int oc = Array.IndexOf(outer, 291), ic = Array.IndexOf(inner, 308);
        var outerHalf = upper ? outer[oc..].Append(outer[0]) : outer[..(oc + 1)];
        var innerHalf = upper ? inner[ic..].Append(inner[0]) : inner[..(ic + 1)];
        return [.. outerHalf, .. innerHalf.Reverse()];
    }

    /// <summary>Fixed-point vertex of a point moved by <paramref name="offset"/> and scaled by <paramref name="scale"/>.</summary>
    public static Point Fixed(Point2f p, Point2f offset = default, float scale = 1f) =>
        new((int)MathF.Round((p.X - offset.X) * scale * (1 << Shift)), (int)MathF.Round((p.Y - offset.Y) * scale * (1 << Shift)));

    public static Point2f[] Points(IReadOnlyList<Point2f> mesh, int[] polygon)
    {
        var pts = new Point2f[polygon.Length];
        for (int i = 0; i < polygon.Length; i++) pts[i] = mesh[polygon[i]];
        return pts;
    }

    /// <summary>Fills a polygon given in image pixels into <paramref name="target"/>, whose origin sits at <paramref name="offset"/>.</summary>
    public static void Fill(Mat target, IReadOnlyList<Point2f> polygon, byte value, Point2f offset = default, float scale = 1f)
    {
        var pts = new Point[polygon.Count];
        for (int i = 0; i < pts.Length; i++) pts[i] = Fixed(polygon[i], offset, scale);
        Cv2.FillPoly(target, [pts], Scalar.All(value), LineTypes.Link8, Shift);
    }

    public static void Fill(Mat target, IReadOnlyList<Point2f> mesh, int[] polygon, byte value, Point2f offset = default) =>
        Fill(target, Points(mesh, polygon), value, offset);

    /// <summary>
    /// A feature's polygon scaled about its centre: along its long axis (first vertex, a corner in MeshTopology's lists,
    /// to the vertex farthest from it) by <paramref name="along"/> and across it by <paramref name="across"/>.
    /// </summary>
    public static Point2f[] Scaled(IReadOnlyList<Point2f> mesh, int[] polygon, float along, float across)
    {
        var p = Points(mesh, polygon);
        float cx = 0, cy = 0;
        foreach (var q in p) { cx += q.X; cy += q.Y; }
        cx /= p.Length; cy /= p.Length;
        var a = p[0];
        var b = p.MaxBy(q => (q.X - a.X) * (q.X - a.X) + (q.Y - a.Y) * (q.Y - a.Y));
        float len = MathF.Sqrt((b.X - a.X) * (b.X - a.X) + (b.Y - a.Y) * (b.Y - a.Y));
        if (len < 1e-3f) return p;
        float ux = (b.X - a.X) / len, uy = (b.Y - a.Y) / len;
        for (int i = 0; i < p.Length; i++)
        {
            float dx = p[i].X - cx, dy = p[i].Y - cy;
            float s = (dx * ux + dy * uy) * along, t = (-dx * uy + dy * ux) * across;
            p[i] = new Point2f(cx + s * ux - t * uy, cy + s * uy + t * ux);
        }
        return p;
    }

    /// <summary>Bounding box of <paramref name="points"/> grown by <paramref name="pad"/> pixels, clipped to <paramref name="size"/>.</summary>
    public static Rect Box(IEnumerable<Point2f> points, float pad, Size size)
    {
        float minX = float.MaxValue, minY = float.MaxValue, maxX = float.MinValue, maxY = float.MinValue;
        foreach (var p in points)
        {
            minX = MathF.Min(minX, p.X); maxX = MathF.Max(maxX, p.X);
            minY = MathF.Min(minY, p.Y); maxY = MathF.Max(maxY, p.Y);
        }
        int x0 = (int)MathF.Floor(minX - pad), y0 = (int)MathF.Floor(minY - pad);
        int x1 = (int)MathF.Ceiling(maxX + pad) + 1, y1 = (int)MathF.Ceiling(maxY + pad) + 1;
        return new Rect(x0, y0, Math.Max(0, x1 - x0), Math.Max(0, y1 - y0)) & new Rect(0, 0, size.Width, size.Height);
    }

    public static Point2f Lerp(Point2f a, Point2f b, float t) => new(a.X + (b.X - a.X) * t, a.Y + (b.Y - a.Y) * t);

    public static float Distance(Point2f a, Point2f b) => MathF.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y));
}
