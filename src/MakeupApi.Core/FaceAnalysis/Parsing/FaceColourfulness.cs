using OpenCvSharp;

namespace MakeupApi.FaceAnalysis.Parsing;

/// <summary>
/// How much colour a parsed face shows beyond the photo's overall tone: whether a reference has any makeup colour to
/// give. A black-and-white photo has none (a* = b* = 0), and a toned one (sepia, cyanotype, a heavy colour grade)
/// carries a single hue that follows the lightness, so its "lipstick" is its skin's tone, a shade darker. Taken from
/// either, lips came out blue-grey and eye bands grey on colour sources (UR400, references 155093594_1 and
/// 2093465867_1). A colour face differs in hue at one lightness: lips and cheeks redder than the forehead, irises and
/// brows off the skin's hue.
/// </summary>
/// <remarks>
/// The measure: the face's pixels (skin, nose, brows, eyes, lips; every other row and column) are put in bins of 5 L*;
/// each pixel's chroma distance from its bin's median (a*, b*) is its residual chroma, and the measure is the residual's
/// 90th percentile, in CIELAB units. Per-lightness medians absorb any tone curve, so a toned photo scores as low as a
/// grey one.
/// </remarks>
public static class FaceColourfulness
{
    private const float BinWidth = 5f;
    private const int Bins = (int)(100 / BinWidth) + 1;

    /// <summary>The 90th percentile of the face's residual chroma (CIELAB units); null when the labels show no face.</summary>
    public static double? Measure(Mat bgr, Mat labels)
    {
        ArgumentNullException.ThrowIfNull(bgr);
        ArgumentNullException.ThrowIfNull(labels);
        if (bgr.Type() != MatType.CV_8UC3) throw new ArgumentException("Expected a BGR image (CV_8UC3).", nameof(bgr));
        if (labels.Type() != MatType.CV_8UC1 || labels.Size() != bgr.Size())
            throw new ArgumentException("Labels must be CV_8UC1 at the image's size.", nameof(labels));

        var inFace = new bool[256];
        foreach (var c in new[] { FaceLabel.Skin, FaceLabel.Nose, FaceLabel.LeftBrow, FaceLabel.RightBrow, FaceLabel.LeftEye,
                     FaceLabel.RightEye, FaceLabel.UpperLip, FaceLabel.LowerLip })
            inFace[c] = true;

        // Every other row and column: the measure is a percentile over tens of thousands of pixels.
        using var small = new Mat();
        Cv2.Resize(bgr, small, new Size((bgr.Width + 1) / 2, (bgr.Height + 1) / 2), 0, 0, InterpolationFlags.Nearest);
        using var smallLabels = new Mat();
        Cv2.Resize(labels, smallLabels, small.Size(), 0, 0, InterpolationFlags.Nearest);
        using var smallF = new Mat();
        small.ConvertTo(smallF, MatType.CV_32FC3, 1 / 255.0);
        using var lab = new Mat();
        Cv2.CvtColor(smallF, lab, ColorConversionCodes.BGR2Lab);

        // Two passes over the face's pixels: count them per lightness bin, then place each one's a* and b* in its
        // bin's stretch of one array, so that each bin's medians are selected from its own stretch.
        var counts = new int[Bins];
        int total = Count(lab, smallLabels, inFace, counts);
        if (total == 0) return null;
        var starts = new int[Bins + 1];
        for (int i = 0; i < Bins; i++) starts[i + 1] = starts[i] + counts[i];
        var a = new float[total];
        var b = new float[total];
        Place(lab, smallLabels, inFace, starts, a, b);

        var residuals = new double[total];
        var selectA = (float[])a.Clone();
        var selectB = (float[])b.Clone();
        for (int i = 0; i < Bins; i++)
        {
            int start = starts[i], count = counts[i];
            if (count == 0) continue;
            float medianA = Select(selectA.AsSpan(start, count), count / 2);
            float medianB = Select(selectB.AsSpan(start, count), count / 2);
            for (int k = start; k < start + count; k++)
                residuals[k] = Math.Sqrt((a[k] - medianA) * (a[k] - medianA) + (b[k] - medianB) * (b[k] - medianB));
        }
        return Select<double>(residuals, (int)Math.Min(total - 1, Math.Floor(0.9 * total)));
    }

    /// <summary>
    /// The value a sort would put at <paramref name="k"/> (Hoare's quickselect, reordering the span in place): the
    /// medians and the percentile without sorting whole arrays, which took most of the measure's time.
    /// </summary>
    internal static T Select<T>(Span<T> values, int k) where T : IComparable<T>
    {
        int lo = 0, hi = values.Length - 1;
        while (lo < hi)
        {
            T pivot = values[lo + (hi - lo) / 2];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (values[i].CompareTo(pivot) < 0) i++;
                while (values[j].CompareTo(pivot) > 0) j--;
                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }
            if (k <= j) hi = j;
            else if (k >= i) lo = i;
            else return values[k];
        }
        return values[k];
    }

    private static unsafe int Count(Mat lab, Mat labels, bool[] inFace, int[] counts)
    {
        int rows = lab.Rows, cols = lab.Cols, total = 0;
        for (int y = 0; y < rows; y++)
        {
            float* p = (float*)lab.Ptr(y);
            byte* l = (byte*)labels.Ptr(y);
            for (int x = 0; x < cols; x++)
            {
                if (!inFace[l[x]]) continue;
                counts[Bin(p[3 * x])]++;
                total++;
            }
        }
        return total;
    }

    /// <summary>Writes each face pixel's a* and b* at the next free place of its bin's stretch, in row order.</summary>
    private static unsafe void Place(Mat lab, Mat labels, bool[] inFace, int[] starts, float[] a, float[] b)
    {
        var next = (int[])starts.Clone();
        int rows = lab.Rows, cols = lab.Cols;
        for (int y = 0; y < rows; y++)
        {
            float* p = (float*)lab.Ptr(y);
            byte* l = (byte*)labels.Ptr(y);
            for (int x = 0; x < cols; x++)
            {
                if (!inFace[l[x]]) continue;
                int k = next[Bin(p[3 * x])]++;
                a[k] = p[3 * x + 1];
                b[k] = p[3 * x + 2];
            }
        }
    }

    private static int Bin(float lightness) => Math.Clamp((int)(lightness / BinWidth), 0, Bins - 1);
}
