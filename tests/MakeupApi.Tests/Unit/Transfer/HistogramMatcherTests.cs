using MakeupApi.Transfer.Classical;

namespace MakeupApi.Tests.Unit.Transfer;

public sealed class HistogramMatcherTests
{
    [Fact]
    public void Build_MatchesNaiveSortBasedHistogramSpecification()
    {
        var random = new Random(5);
        var source = Enumerable.Range(0, 4000).Select(_ => (float)(40 + 12 * Gaussian(random))).ToArray();
        // A skewed, two-mode reference.
        var reference = Enumerable.Range(0, 3000)
            .Select(i => (float)(i % 3 == 0 ? 70 + 4 * Gaussian(random) : 30 + 8 * Gaussian(random))).ToArray();

        var (srcHist, refHist) = Histograms(source, reference, 0, 100);
        var map = HistogramMatcher.Build(srcHist, refHist);

        // Compared where it matters, in quantiles of the reference: binning moves a value by a fraction of a bin,
        // which inside a gap between the reference's modes can be a large distance but no probability at all.
        var naive = NaiveMatch(source, reference);
        var sortedRef = reference.OrderBy(v => v).ToArray();
        double binWidth = 100.0 / HistogramMatcher.DefaultBins;
        for (int i = 0; i < source.Length; i++)
        {
            float mapped = map.Apply(source[i]);
            double quantileGap = Math.Abs(LowerBound(sortedRef, mapped) - LowerBound(sortedRef, naive[i])) / (double)sortedRef.Length;
            Assert.True(quantileGap <= 0.005 || Math.Abs(mapped - naive[i]) <= 2 * binWidth,
                $"value {source[i]:F2}: binned {mapped:F2} vs sort-based {naive[i]:F2} ({quantileGap:P2} of the reference apart)");
        }
    }

    [Fact]
    public void Build_GivesTheMatchedValuesTheReferenceCdf()
    {
        var random = new Random(6);
        var source = Enumerable.Range(0, 5000).Select(_ => (float)(random.NextDouble() * 60 - 20)).ToArray();
        var reference = Enumerable.Range(0, 5000).Select(_ => (float)(25 + 10 * Gaussian(random))).ToArray();
        var (srcHist, refHist) = Histograms(source, reference, -128, 128);
        var map = HistogramMatcher.Build(srcHist, refHist);
        var mapped = source.Select(v => map.Apply(v)).OrderBy(v => v).ToArray();
        var sortedRef = reference.OrderBy(v => v).ToArray();

        // Kolmogorov-Smirnov distance between the matched values and the reference: the CDFs coincide.
        double ks = 0;
        foreach (var t in sortedRef.Where((_, i) => i % 25 == 0))
        {
            double fm = LowerBound(mapped, t) / (double)mapped.Length;
            double fr = LowerBound(sortedRef, t) / (double)sortedRef.Length;
            ks = Math.Max(ks, Math.Abs(fm - fr));
        }
        Assert.True(ks < 0.02, $"KS distance {ks:F3}");
        Assert.Equal(sortedRef.Average(), mapped.Average(), 0);
    }

    [Fact]
    public void Build_OfADistributionOntoItself_IsTheIdentity()
    {
        var random = new Random(7);
        var values = Enumerable.Range(0, 3000).Select(_ => (float)(50 + 15 * Gaussian(random))).ToArray();
        var (a, b) = Histograms(values, values, 0, 100);
        var map = HistogramMatcher.Build(a, b);
        foreach (var v in values.Where((_, i) => i % 10 == 0))
            Assert.Equal(v, map.Apply(v), 0.01f);
    }

    [Fact]
    public void Build_WithAShift_MovesEveryValueByIt()
    {
        var random = new Random(8);
        var values = Enumerable.Range(0, 2000).Select(_ => (float)(20 * Gaussian(random))).ToArray();
        var (a, b) = Histograms(values, values, -128, 128);
        var map = HistogramMatcher.Build(a, b, shift: 7.5f);
        foreach (var v in values.Where((_, i) => i % 10 == 0))
            Assert.Equal(v + 7.5f, map.Apply(v), 0.01f);
    }

    [Fact]
    public void Quantile_OfAUniformSample_IsLinear()
    {
        var h = new ChannelHistogram(0, 100);
        for (int i = 0; i < 10000; i++) h.Add(i / 100f + 0.005f);
        Assert.Equal(25, h.Quantile(0.25), 1);
        Assert.Equal(50, h.Quantile(0.5), 1);
        Assert.Equal(90, h.Quantile(0.9), 1);
    }

    // ---- naive reference: histogram specification by sorting ---------------------------------------------------

    /// <summary>Each value goes to the reference value at the same quantile: rank r of n ↦ sorted reference at (r + ½)/n.</summary>
    private static float[] NaiveMatch(float[] source, float[] reference)
    {
        var sortedRef = reference.OrderBy(v => v).ToArray();
        var order = Enumerable.Range(0, source.Length).OrderBy(i => source[i]).ToArray();
        var result = new float[source.Length];
        for (int rank = 0; rank < order.Length; rank++)
        {
            double p = (rank + 0.5) / order.Length;
            double position = p * sortedRef.Length - 0.5;
            int lo = Math.Clamp((int)Math.Floor(position), 0, sortedRef.Length - 1);
            int hi = Math.Min(lo + 1, sortedRef.Length - 1);
            double t = Math.Clamp(position - lo, 0, 1);
            result[order[rank]] = (float)(sortedRef[lo] + t * (sortedRef[hi] - sortedRef[lo]));
        }
        return result;
    }

    private static (ChannelHistogram, ChannelHistogram) Histograms(float[] source, float[] reference, float min, float max)
    {
        var a = new ChannelHistogram(min, max);
        var b = new ChannelHistogram(min, max);
        foreach (var v in source) a.Add(v);
        foreach (var v in reference) b.Add(v);
        return (a, b);
    }

    private static int LowerBound(float[] sorted, float value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (sorted[mid] < value) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
