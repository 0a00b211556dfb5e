using OpenCvSharp;

namespace MakeupApi.Transfer.Classical;

/// <summary>
/// CIEDE2000 colour difference (CIE 142-2001), written from the formulae as laid out in G. Sharma, W. Wu and
/// E. N. Dalal, "The CIEDE2000 color-difference formula: implementation notes, supplementary test data, and
/// mathematical observations", Color Research &amp; Application 30(1), 2005 (equations 1-22). kL = kC = kH = 1.
/// Used to measure how far the makeup moved a region's mean colour.
/// </summary>
public static class Ciede2000
{
    private const double Pow25To7 = 6103515625.0; // 25^7, eq. 4 and 21

    public static double Delta(Vec3d lab1, Vec3d lab2) =>
        Delta(lab1.Item0, lab1.Item1, lab1.Item2, lab2.Item0, lab2.Item1, lab2.Item2);

    public static double Delta(double l1, double a1, double b1, double l2, double a2, double b2)
    {
        // Eq. 2-4: the a* axis is stretched for near-neutral colours (G term).
        double c1 = Math.Sqrt(a1 * a1 + b1 * b1);
        double c2 = Math.Sqrt(a2 * a2 + b2 * b2);
        double cMean = (c1 + c2) / 2;
        double cMean7 = Math.Pow(cMean, 7);
        double g = 0.5 * (1 - Math.Sqrt(cMean7 / (cMean7 + Pow25To7)));
        double a1p = (1 + g) * a1;
        double a2p = (1 + g) * a2;

        // Eq. 6-7: C' and h' (h' in degrees, [0, 360); 0 when the chroma is zero).
        double c1p = Math.Sqrt(a1p * a1p + b1 * b1);
        double c2p = Math.Sqrt(a2p * a2p + b2 * b2);
        double h1p = HueDegrees(b1, a1p);
        double h2p = HueDegrees(b2, a2p);

        // Eq. 8-10: differences; the hue difference takes the short way round the circle.
        double dLp = l2 - l1;
        double dCp = c2p - c1p;
        double dhp;
        if (c1p * c2p == 0) dhp = 0;
        else
        {
            dhp = h2p - h1p;
            if (dhp > 180) dhp -= 360;
            else if (dhp < -180) dhp += 360;
        }
        double dHp = 2 * Math.Sqrt(c1p * c2p) * Math.Sin(DegToRad(dhp / 2));

        // Eq. 12-14: means, with the mean hue also taken the short way round.
        double lpMean = (l1 + l2) / 2;
        double cpMean = (c1p + c2p) / 2;
        double hpMean;
        if (c1p * c2p == 0) hpMean = h1p + h2p;
        else if (Math.Abs(h1p - h2p) <= 180) hpMean = (h1p + h2p) / 2;
        else if (h1p + h2p < 360) hpMean = (h1p + h2p + 360) / 2;
        else hpMean = (h1p + h2p - 360) / 2;

        // Eq. 15-21: weighting functions and the rotation term for blue hues.
        double t = 1
            - 0.17 * Math.Cos(DegToRad(hpMean - 30))
            + 0.24 * Math.Cos(DegToRad(2 * hpMean))
            + 0.32 * Math.Cos(DegToRad(3 * hpMean + 6))
            - 0.20 * Math.Cos(DegToRad(4 * hpMean - 63));
        double dTheta = 30 * Math.Exp(-Math.Pow((hpMean - 275) / 25, 2));
        double cpMean7 = Math.Pow(cpMean, 7);
        double rc = 2 * Math.Sqrt(cpMean7 / (cpMean7 + Pow25To7));
        double lMinus50Sq = (lpMean - 50) * (lpMean - 50);
        double sl = 1 + 0.015 * lMinus50Sq / Math.Sqrt(20 + lMinus50Sq);
        double sc = 1 + 0.045 * cpMean;
        double sh = 1 + 0.015 * cpMean * t;
        double rt = -Math.Sin(DegToRad(2 * dTheta)) * rc;

        // Eq. 22.
        double lTerm = dLp / sl, cTerm = dCp / sc, hTerm = dHp / sh;
        return Math.Sqrt(lTerm * lTerm + cTerm * cTerm + hTerm * hTerm + rt * cTerm * hTerm);
    }

    /// <summary>
    /// Mean CIELAB colour (L in [0, 100]) of the pixels of an 8-bit BGR image where <paramref name="mask"/> is
    /// non-zero, using OpenCV's float conversion (sRGB, D65). Returns null when the mask is empty.
    /// </summary>
    public static Vec3d? MeanLab(Mat bgr, Mat mask)
    {
        // Only the mask's bounding box is converted: regions cover a few percent of a face crop.
        var box = Cv2.BoundingRect(mask);
        if (box.Width == 0 || box.Height == 0) return null;
        using var part = bgr[box];
        using var partMask = mask[box];
        using var lab = ToLab(part);
        var mean = Cv2.Mean(lab, partMask);
        return new Vec3d(mean.Val0, mean.Val1, mean.Val2);
    }

    /// <summary>
    /// Per-pixel CIELAB (CV_32FC3, L in [0, 100]) of a BGR image in 0..255, 8-bit or float, by OpenCV's float
    /// conversion (sRGB, D65).
    /// </summary>
    internal static Mat ToLab(Mat bgr255)
    {
        using var bgrF = new Mat();
        bgr255.ConvertTo(bgrF, MatType.CV_32FC3, 1.0 / 255);
        var lab = new Mat();
        Cv2.CvtColor(bgrF, lab, ColorConversionCodes.BGR2Lab);
        return lab;
    }

    private static double HueDegrees(double b, double ap)
    {
        if (b == 0 && ap == 0) return 0;
        double h = Math.Atan2(b, ap) * (180 / Math.PI);
        return h < 0 ? h + 360 : h;
    }

    private static double DegToRad(double degrees) => degrees * (Math.PI / 180);
}
