using OpenCvSharp;

namespace MakeupApi.FaceAnalysis.Parsing;

/// <summary>
/// Two-class colour histograms in CIE Lab and their log likelihood ratio: the Bayesian colour classifier of Jones and
/// Rehg ("Statistical color models with application to skin detection", IJCV 46(1), 2002), learned per photo from
/// pixels the mesh says belong to a region and pixels round it. Histograms (unlike a single Gaussian) cope with
/// multi-coloured makeup and with samples partly spoiled by a misplaced mesh.
/// </summary>
internal static class ColourHistogram
{
    /// <summary>8 lightness x 16 x 16 chroma cells: coarse in lightness (shading, gloss), finer in a* and b*.</summary>
    public const int Bins = 8 * 16 * 16;

    /// <summary>
    /// Lab facts per BGR colour quantised to 5 bits a channel (32768 entries), filled once with OpenCV's own 8-bit
    /// BGR-to-Lab conversion of each cell's centre colour: a table lookup per pixel instead of a conversion (which
    /// cost as much as the rest of a brow's refinement), at a quantisation far finer than the histogram's cells.
    /// </summary>
    private static readonly (short[] Bin, byte[] Lightness, byte[] Chroma) Table = BuildTable();

    private static (short[], byte[], byte[]) BuildTable()
    {
        using var bgr = new Mat(1, 32768, MatType.CV_8UC3);
        var row = bgr.AsRows<Vec3b>()[0];
        for (int i = 0; i < 32768; i++)
            row[i] = new Vec3b((byte)(((i >> 10) & 31) << 3 | 4), (byte)(((i >> 5) & 31) << 3 | 4), (byte)((i & 31) << 3 | 4));
        using var lab = new Mat();
        Cv2.CvtColor(bgr, lab, ColorConversionCodes.BGR2Lab);
        var labRow = lab.AsRows<Vec3b>()[0];
        var bins = new short[32768];
        var lightness = new byte[32768];
        var chroma = new byte[32768];
        for (int i = 0; i < 32768; i++)
        {
            var c = labRow[i];
            bins[i] = (short)((c.Item0 >> 5) * 256 + (c.Item1 >> 4) * 16 + (c.Item2 >> 4));
            lightness[i] = c.Item0;
            chroma[i] = (byte)Math.Min(255, MathF.Round(MathF.Sqrt((c.Item1 - 128) * (c.Item1 - 128) + (c.Item2 - 128) * (c.Item2 - 128))));
        }
        return (bins, lightness, chroma);
    }

    private static int Cell(Vec3b bgr) => (bgr.Item0 >> 3) << 10 | (bgr.Item1 >> 3) << 5 | (bgr.Item2 >> 3);

    /// <summary>8-bit L* (0..255 for 0..100) of a BGR colour.</summary>
    public static byte Lightness(Vec3b bgr) => Table.Lightness[Cell(bgr)];

    /// <summary>Chroma, sqrt(a*^2 + b*^2) in 8-bit Lab units, of a BGR colour.</summary>
    public static byte Chroma(Vec3b bgr) => Table.Chroma[Cell(bgr)];

    /// <summary>The histogram cell of every pixel of a BGR image, row-major.</summary>
    public static short[] BinIndex(Mat bgr)
    {
        int h = bgr.Rows, w = bgr.Cols;
        var bins = new short[h * w];
        var table = Table.Bin;
        var rows = bgr.AsRows<Vec3b>();
        for (int y = 0; y < h; y++)
        {
            var px = rows[y];
            int o = y * w;
            for (int x = 0; x < w; x++) bins[o + x] = table[Cell(px[x])];
        }
        return bins;
    }

    /// <summary>
    /// log P(colour | a) - log P(colour | b) per cell, from the pixels where <paramref name="a"/> and <paramref name="b"/>
    /// are set, each cell given <paramref name="pseudoCount"/> extra samples so unseen colours score 0; null when either
    /// class has fewer than <paramref name="minSamples"/> pixels.
    /// </summary>
    public static float[]? LogRatio(short[] bins, Mat a, Mat b, float pseudoCount, int minSamples = 10)
    {
        int h = a.Rows, w = a.Cols;
        var ha = new float[Bins];
        var hb = new float[Bins];
        int na = 0, nb = 0;
        var rowsA = a.AsRows<byte>();
        var rowsB = b.AsRows<byte>();
        for (int y = 0; y < h; y++)
        {
            var ma = rowsA[y];
            var mb = rowsB[y];
            int o = y * w;
            for (int x = 0; x < w; x++)
            {
                if (ma[x] != 0) { ha[bins[o + x]]++; na++; }
                else if (mb[x] != 0) { hb[bins[o + x]]++; nb++; }
            }
        }
        if (na < minSamples || nb < minSamples) return null;
        var ratio = new float[Bins];
        float za = MathF.Log(na + pseudoCount * Bins), zb = MathF.Log(nb + pseudoCount * Bins);
        for (int i = 0; i < Bins; i++)
            ratio[i] = ha[i] == hb[i] ? zb - za : MathF.Log((ha[i] + pseudoCount) / (hb[i] + pseudoCount)) + zb - za;
        return ratio;
    }
}
