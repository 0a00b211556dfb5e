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
    /// back, puts vertex i where vertex mirror(i) of the original mesh is. The nearest original vertex wins a vote per photo.
    /// </summary>
    public static int[] FitMirrorIndex(IReadOnlyList<(Point3f[] Mesh, Point3f[] MirroredMesh, int Width)> pairs)
    {
        int n = FaceMeshModel.PointCount;
        var votes = new int[n, n];
        foreach (var (mesh, mirrored, width) in pairs)
        {
            for (int i = 0; i < n; i++)
            {
                float x = width - 1 - mirrored[i].X, y = mirrored[i].Y;
                int best = 0;
                double bestD = double.MaxValue;
                for (int j = 0; j < n; j++)
                {
                    double dx = mesh[j].X - x, dy = mesh[j].Y - y, d = dx * dx + dy * dy;
                    if (d < bestD) { bestD = d; best = j; }
                }
                votes[i, best]++;
            }
        }
        // The mirror map is an involution (mirror(mirror(i)) = i). Votes alone can disagree where vertices are close
        // together, so pairs are taken greedily by their symmetric vote count, most agreed first.
        var pairsByVotes = new List<(int I, int J, int Votes)>();
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++)
            {
                int v = i == j ? 2 * votes[i, i] : votes[i, j] + votes[j, i];
                if (v > 0) pairsByVotes.Add((i, j, v));
            }
        var index = Enumerable.Repeat(-1, n).ToArray();
        foreach (var (i, j, _) in pairsByVotes.OrderByDescending(p => p.Votes).ThenBy(p => p.I).ThenBy(p => p.J))
        {
            if (index[i] >= 0 || index[j] >= 0) continue;
            index[i] = j;
            index[j] = i;
        }
        for (int i = 0; i < n; i++) if (index[i] < 0) index[i] = i;
        return index;
    }
}
