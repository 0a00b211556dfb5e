using MakeupApi.Alignment;
using MakeupApi.Transfer;
using OpenCvSharp;

namespace MakeupApi.PoseCorrection;

/// <summary>Tunables of <see cref="TriangulationWarp"/>.</summary>
public sealed record TriangulationWarpOptions
{
    /// <summary>
    /// Points placed along each side of the crop (corners included) so that the triangulation covers the whole crop,
    /// not just the convex hull of the face mesh.
    /// </summary>
    public int BorderPointsPerSide { get; init; } = 9;

    /// <summary>
    /// A reference triangle is treated as hidden or too foreshortened when it faces the camera less than this share of
    /// how the source shows it (the cosine of its surface angle to the view axis, reference over source; 3D from the
    /// mesh depths). Below one half, its texture would be stretched more than twice over to cover the source's
    /// triangle and the mirrored side of the face, seen more squarely, is usually the better sample. Relative, not
    /// absolute, so that the face's silhouette triangles, steep in every view, are left alone.
    /// </summary>
    public double MinRelativeFacing { get; init; } = 0.5;

    /// <summary>
    /// Two mirror triangles are the same patch of a symmetric face, so their 3D areas agree; a mirrored triangle
    /// whose area differs by more than this factor means a wrong correspondence (or a degenerate mesh), and is not
    /// used.
    /// </summary>
    public double MaxMirrorAreaRatio { get; init; } = 2.0;

    /// <summary>
    /// How much better the mirrored triangle must face the camera to be used instead, in the same relative units
    /// (cosine over the source's cosine).
    /// </summary>
    public double MirrorMargin { get; init; } = 0.2;
}

/// <summary>
/// Pose correction: warps the reference face crop onto the source's geometry with a piecewise-affine map over a
/// Delaunay triangulation of the source's landmarks (plus points on the crop border, so every crop pixel lies in a
/// triangle). Where a reference triangle is back-facing or strongly foreshortened (a turned head hides that part of
/// the face), the triangle is filled from the reference's mirrored side of the face, using the mesh's left-right
/// vertex correspondence. Stateless: safe as a singleton.
/// </summary>
/// <remarks>
/// Implementation: one dense map (a destination pixel → reference pixel coordinate) is rasterised triangle by
/// triangle, then a single <see cref="Cv2.Remap"/> per image. That costs one pass over the crop whatever the triangle
/// count; the textbook alternative (per triangle GetAffineTransform + WarpAffine on the bounding box + a mask) makes
/// ~900 OpenCV calls each re-walking a bounding box: measured at 512 px on one core, ~40 ms for the image alone
/// against ~7 ms for map, image, labels and valid mask here.
/// </remarks>
public sealed class TriangulationWarp
{
    private readonly int[] _mirror;
    private readonly TriangulationWarpOptions _options;

    /// <param name="mirrorIndex">
    /// For each mesh vertex, the index of its left-right mirror vertex (the face mesh's symmetry; midline vertices map
    /// to themselves), e.g. <c>MeshTopology.MirrorIndex</c>. Empty disables mirror fill (hidden parts become invalid).
    /// </param>
    public TriangulationWarp(IReadOnlyList<int> mirrorIndex, TriangulationWarpOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(mirrorIndex);
        _mirror = mirrorIndex.ToArray();
        for (int i = 0; i < _mirror.Length; i++)
        {
            if ((uint)_mirror[i] >= (uint)_mirror.Length)
                throw new ArgumentException($"Mirror index {i} -> {_mirror[i]} is out of range.", nameof(mirrorIndex));
        }
        _options = options ?? new TriangulationWarpOptions();
        if (_options.BorderPointsPerSide < 2)
            throw new ArgumentException("At least the two corners per side are needed.", nameof(options));
    }

    /// <summary>Warps <paramref name="reference"/> onto <paramref name="source"/>'s mesh, at the source crop size.</summary>
    public WarpedReference Warp(AlignedFace source, AlignedFace reference)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(reference);
        return Warp(source.Mesh, source.MeshDepth, new Size(source.Size, source.Size),
            reference.Image, reference.Labels, reference.Mesh, reference.MeshDepth, reference);
    }

    /// <summary>
    /// Warps a reference image (and its label map) so that <paramref name="referencePoints"/> land on
    /// <paramref name="sourcePoints"/>; the output has <paramref name="outputSize"/>. Depths (same pixel scale as x/y,
    /// smaller = nearer) enable the facing test; without them only flipped triangles count as hidden.
    /// </summary>
    public WarpedReference Warp(
        IReadOnlyList<Point2f> sourcePoints, IReadOnlyList<float>? sourceDepth, Size outputSize,
        Mat referenceImage, Mat referenceLabels,
        IReadOnlyList<Point2f> referencePoints, IReadOnlyList<float>? referenceDepth) =>
        Warp(sourcePoints, sourceDepth, outputSize, referenceImage, referenceLabels, referencePoints, referenceDepth, null);

    private WarpedReference Warp(
        IReadOnlyList<Point2f> sourcePoints, IReadOnlyList<float>? sourceDepth, Size outputSize,
        Mat referenceImage, Mat referenceLabels,
        IReadOnlyList<Point2f> referencePoints, IReadOnlyList<float>? referenceDepth, AlignedFace? unwarped)
    {
        ArgumentNullException.ThrowIfNull(referenceImage);
        ArgumentNullException.ThrowIfNull(referenceLabels);
        if (referenceImage.Type() != MatType.CV_8UC3) throw new ArgumentException("Reference image must be CV_8UC3.", nameof(referenceImage));
        if (referenceLabels.Type() != MatType.CV_8UC1 || referenceLabels.Size() != referenceImage.Size())
            throw new ArgumentException("Reference labels must be CV_8UC1 at the image size.", nameof(referenceLabels));

        using var map = BuildMap(sourcePoints, sourceDepth, outputSize, referenceImage.Size(), referencePoints, referenceDepth);

        var image = new Mat();
        var labels = new Mat();
        var valid = new Mat(outputSize, MatType.CV_8UC1);
        try
        {
            Cv2.Remap(referenceImage, image, map.MapX, map.MapY, InterpolationFlags.Linear, BorderTypes.Constant, Scalar.All(0));
            Cv2.Remap(referenceLabels, labels, map.MapX, map.MapY, InterpolationFlags.Nearest, BorderTypes.Constant, Scalar.All(0));
            FinishLabelsAndValid(map, labels, valid);
            return new WarpedReference { Image = image, Labels = labels, Valid = valid, Unwarped = unwarped };
        }
        catch
        {
            image.Dispose();
            labels.Dispose();
            valid.Dispose();
            throw;
        }
    }

    /// <summary>What filled a destination pixel.</summary>
    internal enum PixelSource : byte { None = 0, Direct = 1, Mirrored = 2, Hidden = 3 }

    /// <summary>The dense destination → reference map and, per pixel, where its value came from. Owns its Mats.</summary>
    internal sealed class WarpMap : IDisposable
    {
        public required Mat MapX { get; init; }     // CV_32FC1, -1 where nothing maps
        public required Mat MapY { get; init; }     // CV_32FC1
        public required Mat Source { get; init; }   // CV_8UC1, PixelSource per pixel
        public required int TriangleCount { get; init; }
        public required int MirroredTriangles { get; init; }
        public required int HiddenTriangles { get; init; }

        public void Dispose()
        {
            MapX.Dispose();
            MapY.Dispose();
            Source.Dispose();
        }
    }

    internal WarpMap BuildMap(
        IReadOnlyList<Point2f> sourcePoints, IReadOnlyList<float>? sourceDepth, Size outputSize, Size referenceSize,
        IReadOnlyList<Point2f> referencePoints, IReadOnlyList<float>? referenceDepth)
    {
        ArgumentNullException.ThrowIfNull(sourcePoints);
        ArgumentNullException.ThrowIfNull(referencePoints);
        int meshCount = sourcePoints.Count;
        if (referencePoints.Count != meshCount)
            throw new ArgumentException("Source and reference meshes must have the same number of points.", nameof(referencePoints));
        if (meshCount < 3) throw new ArgumentException("At least three landmarks are needed.", nameof(sourcePoints));
        if (sourceDepth is not null && sourceDepth.Count != meshCount) throw new ArgumentException("One depth per source point.", nameof(sourceDepth));
        if (referenceDepth is not null && referenceDepth.Count != meshCount) throw new ArgumentException("One depth per reference point.", nameof(referenceDepth));
        if (outputSize.Width <= 0 || outputSize.Height <= 0) throw new ArgumentException("Empty output size.", nameof(outputSize));
        bool canMirror = _mirror.Length == meshCount;
        if (_mirror.Length != 0 && !canMirror)
            throw new ArgumentException($"The mirror index has {_mirror.Length} entries; the mesh has {meshCount} points.", nameof(sourcePoints));

        // Destination points: the source mesh plus a ring on the crop border (at the pixel edges, -0.5 and w-0.5,
        // so every pixel centre is inside). The border maps to the reference through the least-squares similarity
        // between the two meshes: both crops are aligned the same way, so the background and hair around the face
        // just follow the face's overall scale and shift instead of being stretched toward a fixed frame.
        int perSide = _options.BorderPointsPerSide;
        var border = BorderPoints(outputSize, perSide);
        var dst = new Point2f[meshCount + border.Length];
        var refPts = new Point2d[meshCount + border.Length];
        for (int i = 0; i < meshCount; i++)
        {
            dst[i] = sourcePoints[i];
            refPts[i] = new Point2d(referencePoints[i].X, referencePoints[i].Y);
        }
        var similarity = Similarity.Fit(sourcePoints, referencePoints);
        for (int i = 0; i < border.Length; i++)
        {
            dst[meshCount + i] = border[i];
            refPts[meshCount + i] = similarity.Apply(border[i]);
        }

        var triangles = DelaunayTriangulation.Triangulate(dst);

        int w = outputSize.Width, h = outputSize.Height;
        var mapX = new Mat(h, w, MatType.CV_32FC1, Scalar.All(-1));
        var mapY = new Mat(h, w, MatType.CV_32FC1, Scalar.All(-1));
        var source = new Mat(h, w, MatType.CV_8UC1, Scalar.All(0));
        int mirrored = 0, hidden = 0;
        try
        {
            foreach (var t in triangles)
            {
                var d0 = dst[t.A]; var d1 = dst[t.B]; var d2 = dst[t.C];
                double dstCross = Cross(d0, d1, d2);
                if (Math.Abs(dstCross) < 1e-9) continue;

                Point2d r0 = refPts[t.A], r1 = refPts[t.B], r2 = refPts[t.C];
                var kind = PixelSource.Direct;
                bool isMesh = t.A < meshCount && t.B < meshCount && t.C < meshCount;
                if (isMesh)
                {
                    int sign = Math.Sign(dstCross);
                    // Facing relative to the source's own view of the triangle (which faces it by construction).
                    double sourceFacing = Math.Max(Facing(sourcePoints, sourceDepth, t.A, t.B, t.C, sign, out _), 1e-3);
                    double facing = Facing(referencePoints, referenceDepth, t.A, t.B, t.C, sign, out double area) / sourceFacing;
                    if (facing < _options.MinRelativeFacing)
                    {
                        double mirrorFacing = double.NegativeInfinity;
                        if (canMirror)
                        {
                            // A mirror triangle winds the other way round (the reflection flips it).
                            double f = Facing(referencePoints, referenceDepth, _mirror[t.A], _mirror[t.B], _mirror[t.C], -sign, out double mirrorArea);
                            // (Only with depths: a projected area says nothing about the surface behind it.)
                            double ratio = area > 1e-9 ? mirrorArea / area : 0;
                            if (referenceDepth is null || (ratio >= 1 / _options.MaxMirrorAreaRatio && ratio <= _options.MaxMirrorAreaRatio))
                                mirrorFacing = f / sourceFacing;
                        }
                        if (mirrorFacing > Math.Max(facing, 0) + _options.MirrorMargin)
                        {
                            // The mirror triangle is the same patch of the other half of the face; mapping the
                            // destination triangle onto it carries the left-right flip with it.
                            kind = PixelSource.Mirrored;
                            r0 = refPts[_mirror[t.A]]; r1 = refPts[_mirror[t.B]]; r2 = refPts[_mirror[t.C]];
                            mirrored++;
                        }
                        else if (facing <= 0)
                        {
                            kind = PixelSource.Hidden;
                            hidden++;
                        }
                    }
                }
                Rasterize(d0, d1, d2, r0, r1, r2, kind, mapX, mapY, source, referenceSize);
            }
            return new WarpMap
            {
                MapX = mapX, MapY = mapY, Source = source,
                TriangleCount = triangles.Length, MirroredTriangles = mirrored, HiddenTriangles = hidden,
            };
        }
        catch
        {
            mapX.Dispose();
            mapY.Dispose();
            source.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Cosine between the triangle's surface normal and the view axis, signed so that a positive value means it faces
    /// the camera with the winding of the destination triangle. The 2D cross product is the normal's z component,
    /// the 3D one its length (twice the 3D area, returned in <paramref name="area3D"/>); without depths the cosine
    /// degenerates to ±1 (flipped or not).
    /// </summary>
    private static double Facing(IReadOnlyList<Point2f> p, IReadOnlyList<float>? z, int a, int b, int c, int expectedSign, out double area3D)
    {
        double ux = p[b].X - p[a].X, uy = p[b].Y - p[a].Y;
        double vx = p[c].X - p[a].X, vy = p[c].Y - p[a].Y;
        double nz = ux * vy - uy * vx;
        double uz = 0, vz = 0;
        if (z is not null)
        {
            uz = z[b] - z[a];
            vz = z[c] - z[a];
        }
        double nx = uy * vz - uz * vy;
        double ny = uz * vx - ux * vz;
        double length = Math.Sqrt(nx * nx + ny * ny + nz * nz);
        area3D = length / 2;
        if (length < 1e-12) return 0; // a collapsed triangle shows nothing
        return expectedSign * nz / length;
    }

    private static double Cross(Point2f a, Point2f b, Point2f c) =>
        ((double)b.X - a.X) * ((double)c.Y - a.Y) - ((double)b.Y - a.Y) * ((double)c.X - a.X);

    /// <summary>
    /// A ring on the crop's pixel edges plus a coarse ring a quarter of the crop further out. OpenCV's Subdiv2D can
    /// drop thin triangles along a hull made of collinear points (its bounding "super triangle" vertices are at a
    /// finite distance), which would leave uncovered slivers along the crop edge; the outer ring moves the hull, and
    /// any such sliver, outside the crop.
    /// </summary>
    private static Point2f[] BorderPoints(Size size, int perSide)
    {
        var points = new List<Point2f>(4 * perSide + 8);
        AddRing(points, -0.5f, -0.5f, size.Width - 0.5f, size.Height - 0.5f, perSide);
        float margin = Math.Max(size.Width, size.Height) / 4f;
        AddRing(points, -0.5f - margin, -0.5f - margin, size.Width - 0.5f + margin, size.Height - 0.5f + margin, 3);
        return points.ToArray();

        static void AddRing(List<Point2f> points, float x0, float y0, float x1, float y1, int perSide)
        {
            for (int i = 0; i < perSide - 1; i++)
            {
                float t = i / (float)(perSide - 1);
                points.Add(new Point2f(x0 + t * (x1 - x0), y0));   // top, left to right
                points.Add(new Point2f(x1, y0 + t * (y1 - y0)));   // right, top to bottom
                points.Add(new Point2f(x1 - t * (x1 - x0), y1));   // bottom, right to left
                points.Add(new Point2f(x0, y1 - t * (y1 - y0)));   // left, bottom to top
            }
        }
    }

    /// <summary>
    /// Fills the pixels whose centres lie in the destination triangle with the affine image of that centre in the
    /// reference triangle (barycentric coordinates carried over). Shared edges are written by both neighbours with
    /// the same value up to rounding, which leaves no gaps.
    /// </summary>
    private static unsafe void Rasterize(
        Point2f d0, Point2f d1, Point2f d2, Point2d r0, Point2d r1, Point2d r2,
        PixelSource kind, Mat mapX, Mat mapY, Mat source, Size referenceSize)
    {
        int w = mapX.Width, h = mapX.Height;
        int xMin = Math.Max(0, (int)Math.Ceiling(Math.Min(d0.X, Math.Min(d1.X, d2.X)) - 1e-3));
        int xMax = Math.Min(w - 1, (int)Math.Floor(Math.Max(d0.X, Math.Max(d1.X, d2.X)) + 1e-3));
        int yMin = Math.Max(0, (int)Math.Ceiling(Math.Min(d0.Y, Math.Min(d1.Y, d2.Y)) - 1e-3));
        int yMax = Math.Min(h - 1, (int)Math.Floor(Math.Max(d0.Y, Math.Max(d1.Y, d2.Y)) + 1e-3));
        if (xMin > xMax || yMin > yMax) return;

        // (u, v) = D^-1 (p - d0) with D = [d1 - d0, d2 - d0]; inside when u, v >= 0 and u + v <= 1.
        double e1x = d1.X - d0.X, e1y = d1.Y - d0.Y, e2x = d2.X - d0.X, e2y = d2.Y - d0.Y;
        double det = e1x * e2y - e2x * e1y;
        double i00 = e2y / det, i01 = -e2x / det, i10 = -e1y / det, i11 = e1x / det;
        double f1x = r1.X - r0.X, f1y = r1.Y - r0.Y, f2x = r2.X - r0.X, f2y = r2.Y - r0.Y;
        const double eps = 1e-6;
        double maxX = referenceSize.Width - 1, maxY = referenceSize.Height - 1;
        byte hiddenCode = (byte)PixelSource.Hidden;

        float* px = (float*)mapX.DataPointer;
        float* py = (float*)mapY.DataPointer;
        byte* ps = (byte*)source.DataPointer;
        for (int y = yMin; y <= yMax; y++)
        {
            double dy = y - d0.Y;
            // u and v are affine in x along the row: u = i00 (x - d0.x) + i01 dy, v likewise. The three half-planes
            // u >= 0, v >= 0, u + v <= 1 (each widened by eps) bound the row's span, so only covered pixels are visited
            // (the border ring's long thin triangles have bounding boxes many times their area).
            double lo = xMin, hi = xMax;
            if (!Clip(i00, i01 * dy - i00 * d0.X + eps, ref lo, ref hi)) continue;
            if (!Clip(i10, i11 * dy - i10 * d0.X + eps, ref lo, ref hi)) continue;
            if (!Clip(-(i00 + i10), 1 + eps - (i01 + i11) * dy + (i00 + i10) * d0.X, ref lo, ref hi)) continue;
            int x0 = Math.Max(xMin, (int)Math.Ceiling(lo)), x1 = Math.Min(xMax, (int)Math.Floor(hi));
            if (x0 > x1) continue;
            int row = y * w;
            if (kind == PixelSource.Hidden)
            {
                for (int x = x0; x <= x1; x++)
                {
                    px[row + x] = -1; py[row + x] = -1; ps[row + x] = hiddenCode;
                }
                continue;
            }
            // Along the row the reference coordinate is affine in x too: step it instead of recomputing it.
            double u = i00 * (x0 - d0.X) + i01 * dy, v = i10 * (x0 - d0.X) + i11 * dy;
            double rx = r0.X + u * f1x + v * f2x, ry = r0.Y + u * f1y + v * f2y;
            double stepX = i00 * f1x + i10 * f2x, stepY = i00 * f1y + i10 * f2y;
            for (int x = x0; x <= x1; x++, rx += stepX, ry += stepY)
            {
                int k = row + x;
                // A tolerance of 1e-3 px absorbs the rounding of the barycentric round trip (an identity warp gives
                // -1e-15 at x = 0, which is still the first column, not outside).
                if (rx < -1e-3 || ry < -1e-3 || rx > maxX + 1e-3 || ry > maxY + 1e-3)
                {
                    // Maps outside the reference photo's crop: nothing to take.
                    px[k] = -1; py[k] = -1; ps[k] = (byte)PixelSource.None;
                    continue;
                }
                px[k] = (float)(rx < 0 ? 0 : rx > maxX ? maxX : rx);
                py[k] = (float)(ry < 0 ? 0 : ry > maxY ? maxY : ry);
                ps[k] = (byte)kind;
            }
        }
    }

    /// <summary>Narrows [lo, hi] to the x where a·x + b >= 0; false when nothing is left.</summary>
    private static bool Clip(double a, double b, ref double lo, ref double hi)
    {
        if (Math.Abs(a) < 1e-12) return b >= 0;
        double bound = -b / a;
        if (a > 0) lo = Math.Max(lo, bound - 1e-9);
        else hi = Math.Min(hi, bound + 1e-9);
        return lo <= hi;
    }

    /// <summary>
    /// Valid = pixels filled directly or from the mirror. Mirrored pixels carry the other side's labels, so their
    /// left/right classes are swapped back (brows 2/3, eyes 4/5, ears 7/8).
    /// </summary>
    private static unsafe void FinishLabelsAndValid(WarpMap map, Mat labels, Mat valid)
    {
        int n = valid.Rows * valid.Cols;
        byte* s = (byte*)map.Source.DataPointer;
        byte* l = (byte*)labels.DataPointer;
        byte* v = (byte*)valid.DataPointer;
        for (int i = 0; i < n; i++)
        {
            byte kind = s[i];
            if (kind == (byte)PixelSource.Direct) v[i] = 255;
            else if (kind == (byte)PixelSource.Mirrored)
            {
                v[i] = 255;
                l[i] = l[i] switch { 2 => 3, 3 => 2, 4 => 5, 5 => 4, 7 => 8, 8 => 7, var same => same };
            }
            else
            {
                v[i] = 0;
                l[i] = 0;
            }
        }
    }

    /// <summary>Least-squares 2D similarity (rotation, uniform scale, shift) from one point set to another.</summary>
    private readonly record struct Similarity(double A, double B, double Tx, double Ty)
    {
        public Point2d Apply(Point2f p) => new(A * p.X - B * p.Y + Tx, B * p.X + A * p.Y + Ty);

        // Closed form (Umeyama 1991, restricted to 2D): with centred p, q,
        // a = Σ(p·q) / Σ|p|², b = Σ(p × q) / Σ|p|², t = q̄ - [a -b; b a] p̄.
        public static Similarity Fit(IReadOnlyList<Point2f> from, IReadOnlyList<Point2f> to)
        {
            int n = from.Count;
            double fx = 0, fy = 0, tx = 0, ty = 0;
            for (int i = 0; i < n; i++) { fx += from[i].X; fy += from[i].Y; tx += to[i].X; ty += to[i].Y; }
            fx /= n; fy /= n; tx /= n; ty /= n;
            double dot = 0, cross = 0, norm = 0;
            for (int i = 0; i < n; i++)
            {
                double px = from[i].X - fx, py = from[i].Y - fy, qx = to[i].X - tx, qy = to[i].Y - ty;
                dot += px * qx + py * qy;
                cross += px * qy - py * qx;
                norm += px * px + py * py;
            }
            if (norm < 1e-12) return new Similarity(1, 0, tx - fx, ty - fy);
            double a = dot / norm, b = cross / norm;
            return new Similarity(a, b, tx - (a * fx - b * fy), ty - (b * fx + a * fy));
        }
    }
}
