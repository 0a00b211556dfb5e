namespace MakeupApi.Transfer.Classical;

/// <summary>
/// A fixed-range histogram of one colour channel, filled pixel by pixel. Binning keeps the matching O(n) where a
/// sort would be O(n log n): a face's skin is ~80k pixels at 512 px, three channels, two images, per request.
/// </summary>
internal sealed class ChannelHistogram
{
    public ChannelHistogram(float min, float max, int bins = HistogramMatcher.DefaultBins)
    {
        if (!(max > min)) throw new ArgumentException("Empty histogram range.", nameof(max));
        if (bins < 2) throw new ArgumentOutOfRangeException(nameof(bins));
        Min = min;
        Max = max;
        Counts = new double[bins];
        Scale = bins / (max - min);
    }

    public float Min { get; }
    public float Max { get; }
    public double[] Counts { get; }
    public double Total { get; private set; }
    internal float Scale { get; }

    /// <summary>The value below which a share <paramref name="p"/> of the samples lie (values spread evenly within a bin).</summary>
    public float Quantile(double p)
    {
        if (Total <= 0) throw new InvalidOperationException("Empty histogram.");
        double target = Math.Clamp(p, 0, 1) * Total, cumulative = 0;
        double width = (Max - Min) / (double)Counts.Length;
        for (int k = 0; k < Counts.Length; k++)
        {
            if (Counts[k] > 0 && cumulative + Counts[k] >= target)
                return (float)(Min + (k + (target - cumulative) / Counts[k]) * width);
            cumulative += Counts[k];
        }
        return Max;
    }

    /// <summary>The mean of the samples (each at its bin's centre).</summary>
    public double Mean()
    {
        if (Total <= 0) throw new InvalidOperationException("Empty histogram.");
        double width = (Max - Min) / (double)Counts.Length, sum = 0;
        for (int k = 0; k < Counts.Length; k++) sum += Counts[k] * (Min + (k + 0.5) * width);
        return sum / Total;
    }

    public void Add(float value, double weight = 1)
    {
        int bin = (int)((value - Min) * Scale);
        bin = Math.Clamp(bin, 0, Counts.Length - 1);
        Counts[bin] += weight;
        Total += weight;
    }
}

/// <summary>
/// A monotone per-channel colour map sampled per source-histogram bin: a value in bin k at fraction t of the bin
/// maps to Lo[k] + t (Hi[k] − Lo[k]).
/// </summary>
internal sealed class ChannelMap
{
    public ChannelMap(ChannelHistogram domain, float[] lo, float[] hi)
    {
        if (lo.Length != domain.Counts.Length || hi.Length != lo.Length) throw new ArgumentException("One entry per bin.");
        Domain = domain;
        Lo = lo;
        Hi = hi;
    }

    public ChannelHistogram Domain { get; }
    public float[] Lo { get; }
    public float[] Hi { get; }

    /// <summary>
    /// Evaluates the map. Values outside the histogram's range were counted in its end bins, so they map to the ends
    /// of the table.
    /// </summary>
    public float Apply(float value)
    {
        double position = (value - Domain.Min) * Domain.Scale;
        int nb = Lo.Length;
        if (position <= 0) return Lo[0];
        if (position >= nb) return Hi[nb - 1];
        int k = (int)position;
        float t = (float)(position - k);
        return Lo[k] + t * (Hi[k] - Lo[k]);
    }

    /// <summary>An affine map v ↦ offset + gain·v over the histogram's bins.</summary>
    public static ChannelMap Affine(ChannelHistogram domain, double gain, double offset)
    {
        int nb = domain.Counts.Length;
        var lo = new float[nb];
        var hi = new float[nb];
        double width = (domain.Max - domain.Min) / (double)nb;
        for (int k = 0; k < nb; k++)
        {
            lo[k] = (float)(offset + gain * (domain.Min + k * width));
            hi[k] = (float)(offset + gain * (domain.Min + (k + 1) * width));
        }
        return new ChannelMap(domain, lo, hi);
    }
}

/// <summary>
/// Histogram matching (histogram specification; Gonzalez &amp; Woods, "Digital Image Processing", 3rd ed., §3.3.2):
/// the monotone map T = G⁻¹∘F that gives values drawn from the source distribution F the reference distribution G.
/// Both CDFs are taken piecewise linear over their bins (values spread evenly within a bin). Each source bin [p_k,
/// p_k+1] of probability maps onto the reference values between G⁻¹ taken from the right at p_k and from the left at
/// p_k+1: where G is flat (a gap between two modes of the reference) the bin's values land on the correct side of
/// the gap instead of inside it.
/// </summary>
internal static class HistogramMatcher
{
    /// <summary>512 bins: 0.2 L* units or 0.5 a*/b* units per bin, far below a just-noticeable difference (~1 ΔE).</summary>
    public const int DefaultBins = 512;

    /// <summary>
    /// The matching map from <paramref name="source"/>'s distribution to <paramref name="reference"/>'s, plus
    /// <paramref name="shift"/> (the reference distribution moved by that much before matching).
    /// </summary>
    public static ChannelMap Build(ChannelHistogram source, ChannelHistogram reference, float shift = 0)
    {
        if (source.Total <= 0 || reference.Total <= 0) throw new ArgumentException("Both histograms need samples.");
        int nb = source.Counts.Length;
        var lo = new float[nb];
        var hi = new float[nb];
        var right = new InverseCdf(reference, fromRight: true);
        var left = new InverseCdf(reference, fromRight: false);
        double cumulative = 0;
        for (int k = 0; k < nb; k++)
        {
            double pLo = cumulative / source.Total;
            cumulative += source.Counts[k];
            double pHi = cumulative / source.Total;
            lo[k] = (float)(right.At(pLo) + shift);
            hi[k] = (float)(Math.Max(left.At(pHi), right.Last) + shift);
        }
        return new ChannelMap(source, lo, hi);
    }

    /// <summary>
    /// <paramref name="map"/> with its slope limited to <paramref name="maxSlope"/> and its jumps smoothed out, keeping
    /// the mean of the mapped source values. Exact matching maps a gap between two modes of the reference (a lipstick
    /// and its highlights, a lid colour and bare skin) onto a single source value: on a smooth base layer that draws
    /// a hard edge through a gradient (a patch of the other mode), and any tail of the source is spread over the whole
    /// tail of the reference. Limiting the slope bounds how much the map can stretch the source's contrast; the
    /// values are taken per bin centre, limited outward from the source's median, then shifted together so that the
    /// source's distribution still lands on the reference's mean.
    /// </summary>
    public static ChannelMap LimitSlope(ChannelMap map, double maxSlope)
    {
        if (!(maxSlope > 0)) throw new ArgumentOutOfRangeException(nameof(maxSlope));
        var domain = map.Domain;
        int nb = map.Lo.Length;
        double step = maxSlope * (domain.Max - domain.Min) / nb;
        var centre = new double[nb];
        for (int k = 0; k < nb; k++) centre[k] = 0.5 * (map.Lo[k] + map.Hi[k]);

        int median = 0;
        double half = domain.Total / 2, cumulative = 0;
        for (; median < nb - 1; median++)
        {
            cumulative += domain.Counts[median];
            if (cumulative >= half) break;
        }
        var limited = new double[nb];
        limited[median] = centre[median];
        for (int k = median + 1; k < nb; k++) limited[k] = Math.Max(limited[k - 1], Math.Min(centre[k], limited[k - 1] + step));
        for (int k = median - 1; k >= 0; k--) limited[k] = Math.Min(limited[k + 1], Math.Max(centre[k], limited[k + 1] - step));

        double offset = 0;
        if (domain.Total > 0)
        {
            for (int k = 0; k < nb; k++) offset += domain.Counts[k] * (centre[k] - limited[k]);
            offset /= domain.Total;
        }
        var lo = new float[nb];
        var hi = new float[nb];
        for (int k = 0; k < nb; k++)
        {
            lo[k] = (float)(offset + (k > 0 ? 0.5 * (limited[k - 1] + limited[k]) : limited[k]));
            hi[k] = (float)(offset + (k < nb - 1 ? 0.5 * (limited[k] + limited[k + 1]) : limited[k]));
        }
        return new ChannelMap(domain, lo, hi);
    }

    /// <summary>
    /// G⁻¹ of a binned distribution, evaluated at increasing probabilities with one forward pass. From the right:
    /// the least value whose CDF exceeds p (jumps over flat stretches); from the left: the least value whose CDF
    /// reaches p (stops at the start of a flat stretch).
    /// </summary>
    private sealed class InverseCdf(ChannelHistogram histogram, bool fromRight)
    {
        private readonly double[] _counts = histogram.Counts;
        private readonly double _total = histogram.Total;
        private readonly double _width = (histogram.Max - histogram.Min) / (double)histogram.Counts.Length;
        private int _bin;
        private double _before; // counts below bin _bin

        /// <summary>The last value returned (keeps the lo/hi pair of a bin ordered).</summary>
        public double Last { get; private set; } = double.MinValue;

        public double At(double p)
        {
            double target = p * _total;
            double tolerance = 1e-9 * _total; // rounding must not step over (or onto) a flat stretch
            while (_bin < _counts.Length - 1
                   && (fromRight ? _before + _counts[_bin] <= target + tolerance : _before + _counts[_bin] < target - tolerance))
            {
                _before += _counts[_bin];
                _bin++;
            }
            double within = _counts[_bin] > 0 ? Math.Clamp((target - _before) / _counts[_bin], 0, 1) : 1;
            Last = histogram.Min + (_bin + within) * _width;
            return Last;
        }
    }
}
