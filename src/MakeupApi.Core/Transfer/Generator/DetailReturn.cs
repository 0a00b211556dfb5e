using MakeupApi.Transfer.Classical;
using OpenCvSharp;

namespace MakeupApi.Transfer.Generator;

/// <summary>
/// Brings the generator's 256 px output back to the working size without its blur. The network's change (its output
/// against the source's own round trip through 256 px) is added to the full-resolution source, so the source keeps
/// the detail the network never saw (a one-level Laplacian residual, Burt and Adelson 1983). The change's lightness is
/// also low-passed below one pixel of the network's grid everywhere but on the lips: the network paints skin texture
/// and pores it cannot resolve as a soft blur, which read as a smoothed, lightened face (detail SSIM 0.951 on the 100
/// makeup pairs, against the classical engine's 0.991). Makeup lives in colour and large-scale shading (the layer
/// decomposition of Guo and Sim, "Digital Face Makeup by Example", CVPR 2009, which the classical engine follows), so
/// the hue of the change stays at the network's resolution, and so does the lips' lightness: gloss and the lip lines a
/// lipstick draws are the makeup.
/// </summary>
internal static class DetailReturn
{
    /// <param name="source">The working-size source crop, CV_32FC3 BGR in 0..255.</param>
    /// <param name="upscaled">The network's output brought up to the working size, the same.</param>
    /// <param name="sourceRoundTrip">The source taken down to the network's size and up again the same way, the same.</param>
    /// <param name="lips">The source's lips, CV_8UC1 0/255 at the working size.</param>
    /// <param name="sigma">The low-pass's Gaussian sigma in working pixels: one network pixel.</param>
    /// <returns>The result, CV_32FC3 BGR in 0..255 (not clipped).</returns>
    public static Mat Compose(Mat source, Mat upscaled, Mat sourceRoundTrip, Mat lips, double sigma)
    {
        using var sourceLab = Ciede2000.ToLab(source);
        using var change = Ciede2000.ToLab(upscaled);
        using (var roundTripLab = Ciede2000.ToLab(sourceRoundTrip))
            Cv2.Subtract(change, roundTripLab, change);

        var channels = change.Split();
        try
        {
            using var sharp = channels[0].Clone();
            Cv2.GaussianBlur(channels[0], channels[0], new Size(0, 0), sigma);
            // On the lips (feathered outward by the same sigma) the lightness change stays sharp.
            using var keep = WeightedBlend.FeatherOutward(lips, sigma);
            using var lost = new Mat();
            Cv2.Subtract(sharp, channels[0], lost);
            using var restored = lost.Mul(keep).ToMat();
            Cv2.Add(channels[0], restored, channels[0]);
            Cv2.Merge(channels, change);
        }
        finally
        {
            foreach (var channel in channels) channel.Dispose();
        }

        using var resultLab = new Mat();
        Cv2.Add(sourceLab, change, resultLab);
        using var result01 = new Mat();
        Cv2.CvtColor(resultLab, result01, ColorConversionCodes.Lab2BGR);
        var result = new Mat();
        result01.ConvertTo(result, MatType.CV_32FC3, 255.0);
        return result;
    }
}
