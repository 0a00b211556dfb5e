using MakeupApi.FaceAnalysis.Parsing;
using OpenCvSharp;

namespace MakeupApi.Transfer;

/// <summary>
/// A per-pixel weight map (CV_32FC1, 0..1) saying how much of an engine's change each pixel takes: the feathered
/// region masks (lips, eye-shadow band, brows, skin) scaled by the requested strengths.
/// </summary>
public static class RegionWeights
{
    public static Mat Build(Mat labels, IReadOnlyList<Point2f> ibug68, RegionStrengths strengths)
    {
        int size = labels.Width;
        // Feathering width ~1% of the crop: wide enough to hide the mask edge, narrow enough not to tint the neighbours.
        double sigma = Math.Max(1.0, size / 100.0);
        var weight = new Mat(labels.Size(), MatType.CV_32FC1, Scalar.All(0));
        using var lips = Mask(labels, FaceLabel.UpperLip, FaceLabel.LowerLip);
        using var brows = Mask(labels, FaceLabel.LeftBrow, FaceLabel.RightBrow);
        using var skin = Mask(labels, FaceLabel.Skin, FaceLabel.Nose);
        using var eyes = EyeShadowBand(labels, ibug68);
        Accumulate(weight, skin, strengths.Skin, sigma);
        Accumulate(weight, eyes, strengths.Eyes, sigma);
        Accumulate(weight, brows, strengths.Brows, sigma);
        Accumulate(weight, lips, strengths.Lips, sigma);
        return weight;
    }

    /// <summary>
    /// The eye-shadow band: around each eye, from the eye opening up to the brow and a little below the lower lid,
    /// excluding the eye opening itself. Built from the eye's landmark box (iBUG 36-41 and 42-47) grown by 60% of the
    /// eye width upwards and 25% downwards, a proportion read off the MT-dataset makeup photos.
    /// </summary>
    public static Mat EyeShadowBand(Mat labels, IReadOnlyList<Point2f> ibug68)
    {
        var band = new Mat(labels.Size(), MatType.CV_8UC1, Scalar.All(0));
        foreach (var (from, to) in new[] { (36, 41), (42, 47) })
        {
            var eye = ibug68.Skip(from).Take(to - from + 1).ToArray();
            float minX = eye.Min(p => p.X), maxX = eye.Max(p => p.X), minY = eye.Min(p => p.Y), maxY = eye.Max(p => p.Y);
            float w = maxX - minX;
            var centre = new Point2f((minX + maxX) / 2, (minY + maxY) / 2 - 0.175f * w);
            var axes = new Size2f(w * 1.5f, (maxY - minY) + w * 0.85f);
            Cv2.Ellipse(band, new RotatedRect(centre, axes, 0), Scalar.All(255), -1);
        }
        using var eyes = Mask(labels, FaceLabel.LeftEye, FaceLabel.RightEye);
        using var brows = Mask(labels, FaceLabel.LeftBrow, FaceLabel.RightBrow);
        band.SetTo(Scalar.All(0), eyes);
        band.SetTo(Scalar.All(0), brows);
        return band;
    }

    public static Mat Mask(Mat labels, params byte[] classes)
    {
        var mask = new Mat(labels.Size(), MatType.CV_8UC1, Scalar.All(0));
        using var hit = new Mat();
        foreach (var c in classes)
        {
            Cv2.InRange(labels, Scalar.All(c), Scalar.All(c), hit);
            mask.SetTo(Scalar.All(255), hit);
        }
        return mask;
    }

    private static void Accumulate(Mat weight, Mat mask, float strength, double sigma)
    {
        if (strength <= 0) return;
        using var soft = new Mat();
        mask.ConvertTo(soft, MatType.CV_32FC1, strength / 255.0);
        Cv2.GaussianBlur(soft, soft, new Size(0, 0), sigma);
        Cv2.Max(weight, soft, weight);
    }
}
