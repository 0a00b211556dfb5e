using OpenCvSharp;

namespace MakeupApi.FaceAnalysis.Landmarks;

/// <summary>
/// Fits <see cref="LandmarkMapping"/> from photos that have both a mesh and hand-placed iBUG points.
/// For each iBUG point it picks the mesh vertices that sit nearest to it on average (in a face frame normalised by
/// the eye-corner distance), then solves a ridge-regularised least-squares problem for weights that sum to one:
///   minimise sum_faces |sum_k w_k v_k - g|^2 + lambda |w - e_nearest|^2   subject to sum_k w_k = 1.
/// The ridge term pulls towards the single nearest vertex so a weight set never explodes on collinear vertices.
/// </summary>
public static class LandmarkMappingFitter
{
    public sealed record Sample(Point3f[] Mesh, Point2f[] Truth);

    public static LandmarkMapping.MappedPoint[] Fit(IReadOnlyList<Sample> samples, int candidates = 8, double lambda = 0.05)
    {
        var points = new LandmarkMapping.MappedPoint[LandmarkMapping.IbugCount];
        for (int i = 0; i < LandmarkMapping.IbugCount; i++)
        {
            var nearest = NearestVertices(samples, i, candidates);
            points[i] = new LandmarkMapping.MappedPoint(nearest, SolveWeights(samples, i, nearest, lambda));
        }
        return points;
    }

    private static int[] NearestVertices(IReadOnlyList<Sample> samples, int ibug, int count)
    {
        var mean = new double[FaceMeshModel.PointCount];
        foreach (var s in samples)
        {
            double iod = s.Truth[36].DistanceTo(s.Truth[45]);
            for (int v = 0; v < mean.Length; v++)
            {
                double dx = s.Mesh[v].X - s.Truth[ibug].X, dy = s.Mesh[v].Y - s.Truth[ibug].Y;
                mean[v] += Math.Sqrt(dx * dx + dy * dy) / iod;
            }
        }
        return Enumerable.Range(0, mean.Length).OrderBy(v => mean[v]).Take(count).ToArray();
    }

    private static double[] SolveWeights(IReadOnlyList<Sample> samples, int ibug, int[] vertices, double lambda)
    {
        int k = vertices.Length;
        // Normal equations of the scale-normalised residuals, then a Lagrange multiplier for sum(w) = 1.
        var a = new double[k + 1, k + 1];
        var b = new double[k + 1];
        foreach (var s in samples)
        {
            double iod2 = Math.Pow(s.Truth[36].DistanceTo(s.Truth[45]), 2);
            var g = s.Truth[ibug];
            for (int p = 0; p < k; p++)
            {
                var vp = s.Mesh[vertices[p]];
                for (int q = 0; q < k; q++)
                {
                    var vq = s.Mesh[vertices[q]];
                    a[p, q] += 2 * (vp.X * vq.X + vp.Y * vq.Y) / iod2;
                }
                b[p] += 2 * (vp.X * g.X + vp.Y * g.Y) / iod2;
            }
        }
        double ridge = lambda * samples.Count;
        for (int p = 0; p < k; p++)
        {
            a[p, p] += 2 * ridge;
            a[p, k] = a[k, p] = 1;
        }
        b[0] += 2 * ridge; // pull towards the nearest vertex (index 0 after sorting)
        b[k] = 1;

        using var matA = new Mat(k + 1, k + 1, MatType.CV_64FC1);
        using var matB = new Mat(k + 1, 1, MatType.CV_64FC1);
        for (int p = 0; p <= k; p++)
        {
            matB.Set(p, 0, b[p]);
            for (int q = 0; q <= k; q++) matA.Set(p, q, a[p, q]);
        }
        using var x = new Mat();
        Cv2.Solve(matA, matB, x, DecompTypes.SVD);
        var w = new double[k];
        for (int p = 0; p < k; p++) w[p] = x.At<double>(p, 0);
        double sum = w.Sum();
        for (int p = 0; p < k; p++) w[p] /= sum; // exact unit sum despite rounding
        return w;
    }

    /// <summary>
    /// The mesh's left-right symmetry, found from data: for photos of frontal faces, the mesh of the mirrored photo, mirrored
    /// back, puts vertex i where vertex mirror(i) of the original mesh is. Distances (x, y and depth, divided by the
    /// eye-corner distance) are averaged over all photos before matching, so one noisy photo cannot pair two vertices
    /// that merely sit close together (the eye corners, say); then pairs are taken greedily, closest first, keeping the
    /// map an involution (mirror(mirror(i)) = i).
    /// </summary>
    public static int[] FitMirrorIndex(IReadOnlyList<(Point3f[] Mesh, Point3f[] MirroredMesh, int Width)> pairs)
    {
        int n = FaceMeshModel.PointCount;
        var cost = new double[n, n];
        foreach (var (mesh, mirrored, width) in pairs)
        {
            double iod = Distance(mesh[33], mesh[263]);
            var back = mirrored.Select(p => new Point3f(width - 1 - p.X, p.Y, p.Z)).ToArray();
            // A face never sits perfectly frontal: its mirror image is the same face turned the other way. Undo that
            // by a rigid 3D fit (Kabsch) of the mirrored-back mesh onto the original, alternating with nearest-vertex
            // matching, before measuring distances.
            for (int iteration = 0; iteration < 3; iteration++)
            {
                var match = new int[n];
                for (int i = 0; i < n; i++) match[i] = Nearest(back[i], mesh);
                back = RigidFit(back, Enumerable.Range(0, n).Select(i => mesh[match[i]]).ToArray()).Apply(back);
            }
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) cost[i, j] += Distance(back[i], mesh[j]) / iod;
        }
        var candidates = new List<(int I, int J, double Cost)>(n * (n + 1) / 2);
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++)
                candidates.Add((i, j, i == j ? 2 * cost[i, i] : cost[i, j] + cost[j, i]));
        var index = Enumerable.Repeat(-1, n).ToArray();
        foreach (var (i, j, _) in candidates.OrderBy(c => c.Cost).ThenBy(c => c.I).ThenBy(c => c.J))
        {
            if (index[i] >= 0 || index[j] >= 0) continue;
            index[i] = j;
            index[j] = i;
        }
        return index;
    }

    private static int Nearest(Point3f p, Point3f[] points)
    {
        int best = 0;
        double bestD = double.MaxValue;
        for (int j = 0; j < points.Length; j++)
        {
            double d = Distance(p, points[j]);
            if (d < bestD) { bestD = d; best = j; }
        }
        return best;
    }

    private sealed record Rigid(double[,] R, Point3d T)
    {
        public Point3f[] Apply(Point3f[] points) => points.Select(p => new Point3f(
            (float)(R[0, 0] * p.X + R[0, 1] * p.Y + R[0, 2] * p.Z + T.X),
            (float)(R[1, 0] * p.X + R[1, 1] * p.Y + R[1, 2] * p.Z + T.Y),
            (float)(R[2, 0] * p.X + R[2, 1] * p.Y + R[2, 2] * p.Z + T.Z))).ToArray();
    }

    /// <summary>Least-squares rotation and translation taking <paramref name="from"/> onto <paramref name="to"/>
    /// (Kabsch 1976: SVD of the cross-covariance, with the sign fix that excludes reflections).</summary>
    private static Rigid RigidFit(Point3f[] from, Point3f[] to)
    {
        var cf = new Point3d(from.Average(p => p.X), from.Average(p => p.Y), from.Average(p => p.Z));
        var ct = new Point3d(to.Average(p => p.X), to.Average(p => p.Y), to.Average(p => p.Z));
        using var h = new Mat(3, 3, MatType.CV_64FC1, Scalar.All(0));
        var acc = new double[3, 3];
        for (int k = 0; k < from.Length; k++)
        {
            double[] a = [from[k].X - cf.X, from[k].Y - cf.Y, from[k].Z - cf.Z];
            double[] b = [to[k].X - ct.X, to[k].Y - ct.Y, to[k].Z - ct.Z];
            for (int r = 0; r < 3; r++) for (int c = 0; c < 3; c++) acc[r, c] += a[r] * b[c];
        }
        for (int r = 0; r < 3; r++) for (int c = 0; c < 3; c++) h.Set(r, c, acc[r, c]);
        using var w = new Mat(); using var u = new Mat(); using var vt = new Mat();
        Cv2.SVDecomp(h, w, u, vt);
        // R = V * diag(1, 1, d) * U^T with d = sign(det(V U^T))
        using var v = vt.T().ToMat();
        using var ut = u.T().ToMat();
        using var vut = (v * ut).ToMat();
        double d = Cv2.Determinant(vut) < 0 ? -1 : 1;
        using var diag = Mat.Eye(3, 3, MatType.CV_64FC1).ToMat();
        diag.Set(2, 2, d);
        using var vd = (v * diag).ToMat();
        using var rot = (vd * ut).ToMat();
        var rm = new double[3, 3];
        for (int r = 0; r < 3; r++) for (int c = 0; c < 3; c++) rm[r, c] = rot.At<double>(r, c);
        var t = new Point3d(
            ct.X - (rm[0, 0] * cf.X + rm[0, 1] * cf.Y + rm[0, 2] * cf.Z),
            ct.Y - (rm[1, 0] * cf.X + rm[1, 1] * cf.Y + rm[1, 2] * cf.Z),
            ct.Z - (rm[2, 0] * cf.X + rm[2, 1] * cf.Y + rm[2, 2] * cf.Z));
        return new Rigid(rm, t);
    }

    private static double Distance(Point3f a, Point3f b)
    {
        double dx = a.X - b.X, dy = a.Y - b.Y, dz = a.Z - b.Z;
        return Math.Sqrt(dx * dx + dy * dy + dz * dz);
    }
}
