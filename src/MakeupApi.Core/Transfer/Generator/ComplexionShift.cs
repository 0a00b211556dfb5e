using MakeupApi.Transfer.Classical;
using OpenCvSharp;

namespace MakeupApi.Transfer.Generator;

/// <summary>
/// Keeps the generator from copying the reference's complexion. Its histogram-matching loss taught it to bring the
/// source's skin and eye-shadow band to the reference's colours as they are, whatever the two complexions (most of its
/// references came from the makeup set, one complexion group photographed in studios). So on a source much darker
/// than the reference it lightened the face and gave it pale rings round the eyes (CV400's 190 pairs with a skin
/// lightness gap of 20 or more: skin moved a median 49% of the way to the reference's, eye band on own skin -24%).
/// Where the skins differ (<see cref="ComplexionOptions"/>), the generator is shown the source shifted onto the
/// reference's skin, a pair of like complexions, and its output is shifted back everywhere but on the lips: what the
/// makeup changed is kept, on the source's own complexion. Lipstick is opaque, so the lips keep the colour the
/// generator gave them, as the classical engine's lips do.
/// </summary>
/// <remarks>
/// Tried first (stop 49): recolouring the reference onto the source's skin instead. It did a third as much for the eye
/// band on own skin (-11% there) and cost lip colour (lips moved 65% instead of 76%): the network reads the reference's
/// lips against the skin around them, and a dark face stays outside what it learned.
/// </remarks>
internal static class ComplexionShift
{
    /// <summary>Fewest skin pixels on either face for a mean worth comparing (as the classical engine's skin difference).</summary>
    private const int MinSkinPixels = 16;

    /// <summary>
    /// The shift, in CIELAB, from the reference's skin to the source's: the skins' mean difference (source minus
    /// reference), all of its lightness and <see cref="ComplexionOptions.ChromaShare"/> of its hue, times
    /// <see cref="ComplexionOptions.Weight"/> of the lightness gap. Null where that weight is 0 or either face shows too
    /// little skin: the generator then runs exactly as without it.
    /// </summary>
    /// <param name="source">The source crop, CV_8UC3.</param>
    /// <param name="sourceSkin">Its plain skin (<see cref="FaceRegions.Skin"/>), CV_8UC1 at the same size.</param>
    /// <param name="reference">The pose-corrected reference, CV_8UC3 at the same size.</param>
    /// <param name="referenceSkin">The reference's plain skin where the warp had pixels, CV_8UC1.</param>
    public static Scalar? Between(Mat source, Mat sourceSkin, Mat reference, Mat referenceSkin, ComplexionOptions options)
    {
        if (Cv2.CountNonZero(sourceSkin) < MinSkinPixels || Cv2.CountNonZero(referenceSkin) < MinSkinPixels) return null;
        var s = MeanLab(source, sourceSkin);
        var r = MeanLab(reference, referenceSkin);
        double dL = s.Val0 - r.Val0;
        float w = options.Weight(Math.Abs(dL));
        if (w <= 0) return null;
        double c = options.ChromaShare;
        return new Scalar(w * dL, w * c * (s.Val1 - r.Val1), w * c * (s.Val2 - r.Val2));
    }

    /// <summary>
    /// <paramref name="bgr"/> (CV_8UC3) with <paramref name="shift"/> added in CIELAB, in proportion to
    /// <paramref name="cover"/> (CV_32FC1, 0..1; null: everywhere). Blended in BGR, bgr + cover * (shifted - bgr), so
    /// pixels of cover 0 keep their bytes exactly. Colours the shift takes out of the sRGB gamut are clipped.
    /// </summary>
    public static Mat Apply(Mat bgr, Scalar shift, Mat? cover = null)
    {
        using var bgrF = ToFloat(bgr);
        using var lab = CoarseGrid.ToLab(bgrF);
        Cv2.Add(lab, shift, lab);
        using var shiftedF = new Mat();
        Cv2.CvtColor(lab, shiftedF, ColorConversionCodes.Lab2BGR);
        if (cover is not null) return WeightedBlend.ToBytes(bgrF, shiftedF, cover, 255.0);
        var result = new Mat();
        shiftedF.ConvertTo(result, MatType.CV_8UC3, 255.0);
        return result;
    }

    /// <summary>
    /// Where the output is shifted back: everywhere but the lips, which are feathered outward by
    /// <paramref name="featherSigma"/> pixels so no shifted skin rim meets an unshifted lip edge. CV_32FC1, 0..1.
    /// </summary>
    public static Mat AllButLips(Mat lips, double featherSigma)
    {
        using var lipsF = WeightedBlend.FeatherOutward(lips, featherSigma);
        var cover = new Mat();
        Cv2.Subtract(Scalar.All(1), lipsF, cover);
        return cover;
    }

    /// <summary>The opposite shift: from the source's skin to the reference's.</summary>
    public static Scalar Reversed(Scalar shift) => new(-shift.Val0, -shift.Val1, -shift.Val2);

    private static Scalar MeanLab(Mat bgr, Mat mask)
    {
        using var lab = Ciede2000.ToLab(bgr);
        return Cv2.Mean(lab, mask);
    }

    private static Mat ToFloat(Mat bgr)
    {
        var f = new Mat();
        bgr.ConvertTo(f, MatType.CV_32FC3, 1 / 255.0);
        return f;
    }
}
