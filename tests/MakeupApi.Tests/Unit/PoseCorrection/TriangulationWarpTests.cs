using MakeupApi.PoseCorrection;
using OpenCvSharp;

namespace MakeupApi.Tests.Unit.PoseCorrection;

public sealed class TriangulationWarpTests
{
    private const int Size = 96;

    [Fact]
    public void Warp_WithMeshesRelatedByASimilarity_MatchesNaivePerPixelAffineSampling()
    {
        var src = JitteredGrid(Size, 7, seed: 1);
        // ref = S(src): rotate 8°, scale 0.85, shift; the border ring then maps by the same similarity, so the whole
        // crop is one affine map and every output pixel must equal bilinear sampling of the reference at S(x, y).
        double angle = 8 * Math.PI / 180, scale = 0.85, tx = 9.5, ty = 4.25;
        double a = scale * Math.Cos(angle), b = scale * Math.Sin(angle);
        Point2d S(double x, double y) => new(a * x - b * y + tx, b * x + a * y + ty);
        var refPts = src.Select(p => { var q = S(p.X, p.Y); return new Point2f((float)q.X, (float)q.Y); }).ToArray();

        using var refImage = SmoothTexture(Size, Size);
        using var refLabels = new Mat(Size, Size, MatType.CV_8UC1, Scalar.All(1));
        var warp = new TriangulationWarp([]);
        using var result = warp.Warp(src, null, new OpenCvSharp.Size(Size, Size), refImage, refLabels, refPts, null);

        int compared = 0;
        for (int y = 0; y < Size; y++)
        {
            for (int x = 0; x < Size; x++)
            {
                var q = S(x, y);
                bool inside = q.X >= 0 && q.Y >= 0 && q.X <= Size - 1 && q.Y <= Size - 1;
                bool nearEdge = q.X < 0.01 || q.Y < 0.01 || q.X > Size - 1.01 || q.Y > Size - 1.01;
                if (nearEdge) continue;
                Assert.Equal(inside ? 255 : 0, result.Valid.At<byte>(y, x));
                if (!inside) continue;
                var expected = NaiveBilinear(refImage, q.X, q.Y);
                var actual = result.Image.At<Vec3b>(y, x);
                for (int c = 0; c < 3; c++)
                    Assert.True(Math.Abs(expected[c] - actual[c]) <= 1.0, $"({x},{y}) channel {c}: {actual[c]} vs {expected[c]:F2}");
                compared++;
            }
        }
        Assert.True(compared > Size * Size / 2);
    }

    [Fact]
    public void BuildMap_WithMeshesRelatedByASimilarity_GivesTheAffineCoordinatesEverywhere()
    {
        var src = JitteredGrid(Size, 6, seed: 2);
        var refPts = src.Select(p => new Point2f(0.9f * p.X + 3f, 0.9f * p.Y - 2f)).ToArray();
        var warp = new TriangulationWarp([]);
        using var map = warp.BuildMap(src, null, new OpenCvSharp.Size(Size, Size), new OpenCvSharp.Size(200, 200), refPts, null);
        for (int y = 0; y < Size; y++)
        {
            for (int x = 0; x < Size; x++)
            {
                double ey = 0.9 * y - 2;
                if (ey < 0) continue; // outside the reference: no coordinate
                Assert.Equal(0.9 * x + 3, map.MapX.At<float>(y, x), 3);
                Assert.Equal(ey, map.MapY.At<float>(y, x), 3);
            }
        }
    }

    [Fact]
    public void Warp_WithIdenticalMeshes_ReturnsTheReferenceUnchangedAndAllValid()
    {
        var pts = JitteredGrid(Size, 8, seed: 3);
        using var refImage = SmoothTexture(Size, Size);
        using var refLabels = StripeLabels(Size);
        var warp = new TriangulationWarp([]);
        using var result = warp.Warp(pts, null, new OpenCvSharp.Size(Size, Size), refImage, refLabels, pts, null);

        Assert.Equal(0, NonZeroDiff(result.Image, refImage));
        Assert.Equal(0, NonZeroDiff(result.Labels, refLabels));
        Assert.Equal(Size * Size, Cv2.CountNonZero(result.Valid));
    }

    [Fact]
    public void Warp_FillsBackFacingTrianglesFromTheMirroredSide()
    {
        var (src, mirror, cx) = SymmetricGrid(Size);
        // Reference: the image's right half of the face is folded over onto the left (x' = cx - 0.3 (x - cx)), so
        // those triangles are flipped: the head has turned so far that side is hidden.
        var refPts = src.Select(p => p.X > cx + 0.1f ? new Point2f(cx - 0.3f * (p.X - cx), p.Y) : p).ToArray();
        using var refImage = HorizontalGradient(Size);
        using var refLabels = new Mat(Size, Size, MatType.CV_8UC1, Scalar.All(0));
        refLabels[new Rect(0, 0, (int)cx, Size)].SetTo(Scalar.All(4)); // one eye class on the visible side

        var warp = new TriangulationWarp(mirror);
        using var map = warp.BuildMap(src, null, new OpenCvSharp.Size(Size, Size), refImage.Size(), refPts, null);
        Assert.True(map.MirroredTriangles > 0);
        using var result = warp.Warp(src, null, new OpenCvSharp.Size(Size, Size), refImage, refLabels, refPts, null);

        // Inside the mesh on the right of the midline every pixel is the reference mirrored about the midline.
        float maxX = src.Max(p => p.X), minY = src.Min(p => p.Y), maxY = src.Max(p => p.Y);
        int checkedPixels = 0;
        for (int y = (int)Math.Ceiling(minY) + 1; y < maxY - 1; y++)
        {
            for (int x = (int)Math.Ceiling(cx) + 2; x < maxX - 1; x++)
            {
                Assert.Equal(255, result.Valid.At<byte>(y, x));
                double mirroredX = 2 * cx - x;
                Assert.True(Math.Abs(result.Image.At<Vec3b>(y, x)[2] - GradientValue(mirroredX)) <= 1.0,
                    $"({x},{y}) = {result.Image.At<Vec3b>(y, x)[2]}, expected {GradientValue(mirroredX):F1}");
                Assert.Equal(5, result.Labels.At<byte>(y, x)); // left/right class swapped with the side
                checkedPixels++;
            }
        }
        Assert.True(checkedPixels > 300);
    }

    [Fact]
    public void Warp_WithoutAMirrorIndex_MarksBackFacingTrianglesInvalid()
    {
        var (src, _, cx) = SymmetricGrid(Size);
        var refPts = src.Select(p => p.X > cx + 0.1f ? new Point2f(cx - 0.3f * (p.X - cx), p.Y) : p).ToArray();
        using var refImage = HorizontalGradient(Size);
        using var refLabels = new Mat(Size, Size, MatType.CV_8UC1, Scalar.All(1));
        var warp = new TriangulationWarp([]);
        using var result = warp.Warp(src, null, new OpenCvSharp.Size(Size, Size), refImage, refLabels, refPts, null);

        int y = Size / 2, x = (int)(cx + (src.Max(p => p.X) - cx) / 2);
        Assert.Equal(0, result.Valid.At<byte>(y, x));
        Assert.Equal(0, result.Labels.At<byte>(y, x));
        Assert.Equal(255, result.Valid.At<byte>(y, (int)(cx - 10)));
    }

    [Fact]
    public void Warp_UsesTheMirrorForTrianglesThatDepthShowsTurnedAway()
    {
        var (src, mirror, cx) = SymmetricGrid(Size);
        var srcDepth = new float[src.Length];
        // Reference turned: the right side is squeezed to 15% of its width and recedes steeply in depth (a surface
        // seen at ~81°), yet stays unflipped; only the depth-aware facing test can tell.
        var refPts = src.Select(p => p.X > cx + 0.1f ? new Point2f(cx + 0.15f * (p.X - cx), p.Y) : p).ToArray();
        var refDepth = src.Select(p => p.X > cx + 0.1f ? (p.X - cx) * 0.99f : 0f).ToArray();
        using var refImage = HorizontalGradient(Size);
        using var refLabels = new Mat(Size, Size, MatType.CV_8UC1, Scalar.All(1));
        var warp = new TriangulationWarp(mirror);

        using var withDepth = warp.BuildMap(src, srcDepth, new OpenCvSharp.Size(Size, Size), refImage.Size(), refPts, refDepth);
        using var flat = warp.BuildMap(src, null, new OpenCvSharp.Size(Size, Size), refImage.Size(), refPts, null);

        Assert.True(withDepth.MirroredTriangles > 0);
        Assert.Equal(0, flat.MirroredTriangles);
        int y = Size / 2, x = (int)(cx + (src.Max(p => p.X) - cx) / 2);
        Assert.Equal((byte)TriangulationWarp.PixelSource.Mirrored, withDepth.Source.At<byte>(y, x));
        Assert.Equal((byte)TriangulationWarp.PixelSource.Direct, flat.Source.At<byte>(y, x));
    }

    [Fact]
    public void Warp_IgnoresAMirrorTriangleWhoseSurfaceAreaDisagrees()
    {
        var (src, mirror, cx) = SymmetricGrid(Size);
        var srcDepth = new float[src.Length];
        float cy = src.Average(p => p.Y);
        // The right side turns away as before, but the left side (its mirror) is half the size: no longer the same
        // patch of a symmetric face, as a wrong mirror correspondence would give.
        var refPts = src.Select(p => p.X > cx + 0.1f ? new Point2f(cx + 0.15f * (p.X - cx), p.Y)
            : p.X < cx - 0.1f ? new Point2f(cx + 0.5f * (p.X - cx), cy + 0.5f * (p.Y - cy)) : p).ToArray();
        var refDepth = src.Select(p => p.X > cx + 0.1f ? (p.X - cx) * 0.99f : 0f).ToArray();
        var warp = new TriangulationWarp(mirror);

        using var map = warp.BuildMap(src, srcDepth, new OpenCvSharp.Size(Size, Size), new OpenCvSharp.Size(Size, Size), refPts, refDepth);

        int y = Size / 2, x = (int)(cx + (src.Max(p => p.X) - cx) / 2);
        Assert.Equal((byte)TriangulationWarp.PixelSource.Direct, map.Source.At<byte>(y, x));
    }

    [Fact]
    public void Constructor_RejectsAMirrorIndexPointingOutsideTheMesh()
    {
        Assert.Throws<ArgumentException>(() => new TriangulationWarp([1, 2, 3]));
    }

    [Fact]
    public void Triangulate_TilesTheConvexHullWithoutOverlap()
    {
        var pts = JitteredGrid(64, 5, seed: 9);
        var triangles = DelaunayTriangulation.Triangulate(pts);
        double area = triangles.Sum(t => Math.Abs(Cross(pts[t.A], pts[t.B], pts[t.C]))) / 2;
        double hullArea = Cv2.ContourArea(Cv2.ConvexHull(pts));
        // Subdiv2D may leave a sliver along the hull (its outer vertices are at a finite distance; the warp adds an
        // outer ring of points so that happens outside the crop), never an overlap.
        Assert.True(area <= hullArea + 1e-3, $"{area} > hull {hullArea}: triangles overlap");
        Assert.True(area >= hullArea * 0.99, $"{area} << hull {hullArea}: triangles missing");
        Assert.Equal(2 * pts.Length - 2 - Cv2.ConvexHull(pts).Length, triangles.Length + MissingHullTriangles(pts, triangles));
    }

    // Euler: a triangulation of n points with h on the hull has 2n - 2 - h triangles; count the slivers Subdiv2D
    // dropped along the hull as hull edges it skipped.
    private static int MissingHullTriangles(Point2f[] pts, IndexTriangle[] triangles)
    {
        var edges = new Dictionary<(int, int), int>();
        foreach (var t in triangles)
            foreach (var (a, b) in new[] { (t.A, t.B), (t.B, t.C), (t.C, t.A) })
                edges[(Math.Min(a, b), Math.Max(a, b))] = edges.GetValueOrDefault((Math.Min(a, b), Math.Max(a, b))) + 1;
        int boundaryEdges = edges.Count(e => e.Value == 1);
        return boundaryEdges - Cv2.ConvexHull(pts).Length;
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static double Cross(Point2f a, Point2f b, Point2f c) =>
        ((double)b.X - a.X) * (c.Y - a.Y) - ((double)b.Y - a.Y) * (c.X - a.X);

    /// <summary>An n x n grid over the middle of the crop, each point jittered deterministically.</summary>
    internal static Point2f[] JitteredGrid(int size, int n, int seed)
    {
        var random = new Random(seed);
        var points = new List<Point2f>();
        float step = size * 0.7f / (n - 1), origin = size * 0.15f;
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
                points.Add(new Point2f(origin + i * step + (float)(random.NextDouble() - 0.5) * step * 0.4f,
                                       origin + j * step + (float)(random.NextDouble() - 0.5) * step * 0.4f));
        return points.ToArray();
    }

    /// <summary>A grid symmetric about x = cx, with the index of each point's mirror partner.</summary>
    private static (Point2f[] Points, int[] Mirror, float Cx) SymmetricGrid(int size)
    {
        const int half = 4, rows = 7;
        float cx = size / 2f, step = size * 0.09f, top = size * 0.2f;
        var points = new List<Point2f>();
        var mirror = new List<int>();
        for (int r = 0; r < rows; r++)
        {
            int rowStart = points.Count;
            for (int c = -half; c <= half; c++)
            {
                points.Add(new Point2f(cx + c * step, top + r * step * 1.2f));
                mirror.Add(rowStart + (half - c));
            }
        }
        return (points.ToArray(), mirror.ToArray(), cx);
    }

    private static double GradientValue(double x) => 20 + 2 * x;

    /// <summary>Red channel = 20 + 2x, so every column says where it came from.</summary>
    private static Mat HorizontalGradient(int size)
    {
        var image = new Mat(size, size, MatType.CV_8UC3);
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                image.Set(y, x, new Vec3b(100, 50, (byte)GradientValue(x)));
        return image;
    }

    internal static Mat SmoothTexture(int width, int height)
    {
        var image = new Mat(height, width, MatType.CV_8UC3);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image.Set(y, x, new Vec3b(
                    (byte)(128 + 100 * Math.Sin(x * 0.11) * Math.Cos(y * 0.07)),
                    (byte)(40 + 2 * x),
                    (byte)(30 + 1.5 * y + 20 * Math.Sin((x + y) * 0.05))));
        return image;
    }

    private static Mat StripeLabels(int size)
    {
        var labels = new Mat(size, size, MatType.CV_8UC1);
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                labels.Set(y, x, (byte)((x / 7 + y / 5) % 19));
        return labels;
    }

    private static double[] NaiveBilinear(Mat image, double x, double y)
    {
        int x0 = (int)Math.Floor(x), y0 = (int)Math.Floor(y);
        int x1 = Math.Min(x0 + 1, image.Width - 1), y1 = Math.Min(y0 + 1, image.Height - 1);
        double fx = x - x0, fy = y - y0;
        var result = new double[3];
        var p00 = image.At<Vec3b>(y0, x0); var p01 = image.At<Vec3b>(y0, x1);
        var p10 = image.At<Vec3b>(y1, x0); var p11 = image.At<Vec3b>(y1, x1);
        for (int c = 0; c < 3; c++)
            result[c] = (1 - fy) * ((1 - fx) * p00[c] + fx * p01[c]) + fy * ((1 - fx) * p10[c] + fx * p11[c]);
        return result;
    }

    private static int NonZeroDiff(Mat a, Mat b)
    {
        using var diff = new Mat();
        Cv2.Absdiff(a, b, diff);
        using var flat = diff.Reshape(1);
        return Cv2.CountNonZero(flat);
    }
}
