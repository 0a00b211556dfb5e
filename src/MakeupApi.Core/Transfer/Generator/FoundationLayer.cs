using MakeupApi.Transfer.Classical;
using OpenCvSharp;

namespace MakeupApi.Transfer.Generator;

/// <summary>
/// The generator's change on the plain skin taken as one smooth layer, as foundation is: on each skin pixel the
/// Gaussian-weighted mean of the change over the skin around it (a normalised convolution, Knutsson and Westin,
/// "Normalized and differential convolution", CVPR 1993), so the lips' and the eye band's own changes take no part in
/// it. The network sometimes carries lipstick a few pixels past the lip line and leaves blotches on the cheeks; on the
/// skin those are local, and the mean over the skin around them thins them out, while the even shift of a foundation
/// and the broad glow of blush pass. The lips, the eye band and the brows keep the change as it is.
/// </summary>
internal static class FoundationLayer
{
    /// <summary>
    /// The layer's Gaussian sigma as a share of the crop's side (31 px at 512), stop 50: chosen on the 100 makeup pairs
    /// from 0.02, 0.04, 0.06 and 0.08 of the side by the 95th percentile of the skin's change round the lips above the
    /// rest of the skin's (2.88 dE unsmoothed: 3.06, 1.91, 1.35, 1.08), the other medians moving under 0.1; twice the
    /// colour return's low-pass (Compositing/ColorReturn, the scale of cheeks and forehead), so a blush keeps its shape.
    /// </summary>
    public const double DefaultSigma = 0.06;

    /// <param name="source">The working-size source crop, CV_32FC3 BGR.</param>
    /// <param name="result">The engine's result at the same size, the same.</param>
    /// <param name="skin">The plain skin (<see cref="Classical.FaceRegions.Skin"/>), CV_8UC1 0/255.</param>
    /// <param name="sigma">The layer's Gaussian sigma in pixels.</param>
    /// <param name="edgeSigma">The inward feather of the skin's edge, where the layer hands over to the change as it is.</param>
    /// <returns>The result with the skin's change smoothed, CV_32FC3.</returns>
    public static Mat Smooth(Mat source, Mat result, Mat skin, double sigma, double edgeSigma)
    {
        var size = source.Size();
        using var change = new Mat();
        Cv2.Subtract(result, source, change);
        using var skinWeight = new Mat();
        skin.ConvertTo(skinWeight, MatType.CV_32FC1, 1 / 255.0);

        // The mean is smooth by construction, so it is taken at a quarter of the sigma's scale in pixels and brought
        // back up: the same layer at a small part of a full-size wide Gaussian's cost.
        int factor = Math.Max(1, (int)(sigma / 4));
        var small = new Size((size.Width + factor - 1) / factor, (size.Height + factor - 1) / factor);
        using var skinChange = WeightedBlend.Scaled(change, skinWeight);
        using var smallChange = skinChange.Resize(small, 0, 0, InterpolationFlags.Area);
        using var smallWeight = skinWeight.Resize(small, 0, 0, InterpolationFlags.Area);
        // Away from any skin the mean is undefined, and unused: the inward feather below is 0 there.
        using var smallMean = new Mat();
        using (var support = new Mat())
            CoarseGrid.NormalizedBlurOfMasked(smallChange, smallWeight, sigma / factor, smallMean, support);
        using var mean = smallMean.Resize(size, 0, 0, InterpolationFlags.Linear);
        using var layered = new Mat();
        Cv2.Add(source, mean, layered);

        using var onSkin = WeightedBlend.FeatherInward(skin, edgeSigma);
        return WeightedBlend.Blend(result, layered, onSkin);
    }
}
