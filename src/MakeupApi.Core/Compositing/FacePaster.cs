using MakeupApi.Alignment;
using MakeupApi.FaceAnalysis.Parsing;
using OpenCvSharp;

namespace MakeupApi.Compositing;

/// <summary>Tunables of <see cref="FacePaster"/>; lengths are fractions of the crop side.</summary>
public sealed record FacePasterOptions
{
    /// <summary>
    /// Gaussian sigma of the mask's edge, as a fraction of the crop side (1%, ~5 px at 512). The mask is
    /// min(1, 2·G_sigma * face): exactly 1 on the face labels (the blur is 1/2 on their edge), falling to 0 over about
    /// three sigma outside, which covers the parser's uncertain face edge and the engines' feathered spill. The
    /// Gaussian kernel ends at 3 sigma, so nothing beyond the face grown by 3 sigma can change.
    /// </summary>
    public double Feather { get; init; } = 0.01;

    /// <summary>
    /// True (default): paste the engine's change (result − source crop) onto the original photo instead of the
    /// result itself. The photo keeps its own resolution and noise wherever the engine changed only colour: a
    /// 1024 px face is not replaced by the 512 px crop's resampled pixels. False pastes the result crop as it is.
    /// </summary>
    public bool PasteChangeOnly { get; init; } = true;
}

/// <summary>
/// Puts an edited face crop back into the photo it came from, through the inverse of the alignment transform
/// (<see cref="AlignedFace.ToCrop"/>), blended with a feathered mask of the face (its parsing labels, grown a little).
/// Pixels outside that mask are copied untouched, bit for bit: only the mask's bounding rectangle in the photo is
/// resampled and blended. Stateless: safe as a singleton.
/// </summary>
public sealed class FacePaster
{
    private static readonly byte[] FaceClasses =
    [
        FaceLabel.Skin, FaceLabel.LeftBrow, FaceLabel.RightBrow, FaceLabel.LeftEye, FaceLabel.RightEye,
        FaceLabel.Nose, FaceLabel.Mouth, FaceLabel.UpperLip, FaceLabel.LowerLip,
    ];

    private readonly FacePasterOptions _options;

    public FacePaster(FacePasterOptions? options = null)
    {
        _options = options ?? new FacePasterOptions();
        if (!(_options.Feather >= 0)) throw new ArgumentException("Feather must be >= 0.", nameof(options));
    }

    /// <summary>A copy of <paramref name="image"/> with <paramref name="result"/> (the edited crop of <paramref name="source"/>) pasted back.</summary>
    public Mat Paste(Mat image, AlignedFace source, Mat result)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Paste(image, source.ToCrop, source.Image, result, source.Labels);
    }

    /// <param name="image">The original photo, CV_8UC3.</param>
    /// <param name="toCrop">2x3 CV_64F affine, photo pixels → crop pixels.</param>
    /// <param name="sourceCrop">The unedited crop (CV_8UC3), used when only the change is pasted.</param>
    /// <param name="result">The edited crop, same size as <paramref name="sourceCrop"/>.</param>
    /// <param name="labels">Parsing labels of the crop (CV_8UC1), which define the face mask.</param>
    public Mat Paste(Mat image, Mat toCrop, Mat sourceCrop, Mat result, Mat labels)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(toCrop);
        ArgumentNullException.ThrowIfNull(sourceCrop);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(labels);
        if (image.Type() != MatType.CV_8UC3) throw new ArgumentException("The photo must be CV_8UC3.", nameof(image));
        if (result.Type() != MatType.CV_8UC3 || sourceCrop.Type() != MatType.CV_8UC3 || result.Size() != sourceCrop.Size())
            throw new ArgumentException("Source and result crops must be CV_8UC3 of one size.", nameof(result));
        if (labels.Type() != MatType.CV_8UC1 || labels.Size() != result.Size())
            throw new ArgumentException("Labels must be CV_8UC1 at the crop size.", nameof(labels));
        if (toCrop.Rows != 2 || toCrop.Cols != 3 || toCrop.Type() != MatType.CV_64FC1)
            throw new ArgumentException("The alignment transform must be a 2x3 CV_64F matrix.", nameof(toCrop));

        var output = image.Clone();
        try
        {
            using var alpha = FaceAlpha(labels, Math.Max(result.Width, result.Height));
            var cropSupport = Cv2.BoundingRect(alpha);
            if (cropSupport.Width == 0) return output;
            // One pixel of margin so that bilinear sampling at the support's edge reads the zeros around it.
            cropSupport = new Rect(cropSupport.X - 1, cropSupport.Y - 1, cropSupport.Width + 2, cropSupport.Height + 2)
                & new Rect(0, 0, result.Width, result.Height);

            toCrop.GetArray(out double[] m);
            var imageRect = ImageRectOf(cropSupport, m, image.Size());
            if (imageRect.Width <= 0 || imageRect.Height <= 0) return output;

            // Pixel (u, v) of the photo rectangle maps to toCrop(u + x0, v + y0) in the crop, i.e. to that minus the
            // support rectangle's origin inside the crop part that is resampled.
            double tx = m[0] * imageRect.X + m[1] * imageRect.Y + m[2] - cropSupport.X;
            double ty = m[3] * imageRect.X + m[4] * imageRect.Y + m[5] - cropSupport.Y;
            using var roiToCrop = new Mat(2, 3, MatType.CV_64FC1);
            roiToCrop.SetArray(new[] { m[0], m[1], tx, m[3], m[4], ty });
            var flags = InterpolationFlags.Linear | InterpolationFlags.WarpInverseMap;

            using var alphaPart = alpha[cropSupport];
            using var alphaF = new Mat();
            alphaPart.ConvertTo(alphaF, MatType.CV_32FC1, 1 / 255.0);
            using var resultPart = result[cropSupport];
            using var resultF = new Mat();
            resultPart.ConvertTo(resultF, MatType.CV_32FC3);
            using var photoPart = image[imageRect];
            using var outPart = output[imageRect];

            if (_options.PasteChangeOnly)
            {
                // Blend in crop space, where the arrays are smallest: alpha·(result − source), then one resampling
                // into the photo and one addition. Resampling is linear, so this equals blending after resampling
                // up to the interpolation of a product.
                using var sourcePart = sourceCrop[cropSupport];
                using var change = new Mat();
                sourcePart.ConvertTo(change, MatType.CV_32FC3);
                Cv2.Subtract(resultF, change, change);
                using var alpha3 = new Mat();
                Cv2.Merge([alphaF, alphaF, alphaF], alpha3);
                Cv2.Multiply(change, alpha3, change);
                using var warped = new Mat();
                Cv2.WarpAffine(change, warped, roiToCrop, imageRect.Size, flags, BorderTypes.Constant, Scalar.All(0));
                // Where the resampled change is exactly 0 the photo's bytes come back unchanged.
                // (Converting first: OpenCV's mixed-depth add takes a slow generic path, ~20x slower.)
                using var sum = new Mat();
                photoPart.ConvertTo(sum, MatType.CV_32FC3);
                Cv2.Add(sum, warped, sum);
                sum.ConvertTo(outPart, MatType.CV_8UC3);
            }
            else
            {
                using var alphaImage = new Mat();
                Cv2.WarpAffine(alphaF, alphaImage, roiToCrop, imageRect.Size, flags, BorderTypes.Constant, Scalar.All(0));
                using var warped = new Mat();
                Cv2.WarpAffine(resultF, warped, roiToCrop, imageRect.Size, flags, BorderTypes.Replicate);
                using var photoF = new Mat();
                photoPart.ConvertTo(photoF, MatType.CV_32FC3);
                using var change = new Mat();
                Cv2.Subtract(warped, photoF, change);
                // photo + alpha·(result − photo); where alpha is exactly 0 the photo's bytes come back unchanged.
                using var alpha3 = new Mat();
                Cv2.Merge([alphaImage, alphaImage, alphaImage], alpha3);
                Cv2.Multiply(change, alpha3, change);
                Cv2.Add(photoF, change, photoF);
                photoF.ConvertTo(outPart, MatType.CV_8UC3);
            }
            return output;
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The blend mask in crop pixels (CV_8UC1, 0..255): min(1, 2·G_sigma * face classes). Its non-zero support (the
    /// face grown by the kernel's 3-sigma reach) is the "dilated face mask" outside which nothing changes.
    /// </summary>
    internal Mat FaceAlpha(Mat labels, int side)
    {
        var table = new byte[256];
        foreach (var c in FaceClasses) table[c] = 255;
        using var lut = new Mat(1, 256, MatType.CV_8UC1);
        lut.SetArray(table);
        var mask = new Mat();
        try
        {
            Cv2.LUT(labels, lut, mask);
            double sigma = _options.Feather * side;
            if (sigma >= 0.3)
            {
                int k = 2 * (int)Math.Ceiling(3 * sigma) + 1;
                using var soft = new Mat();
                Cv2.GaussianBlur(mask, soft, new Size(k, k), sigma);
                soft.ConvertTo(mask, MatType.CV_8UC1, 2.0); // saturates at 255 from the labels' edge inwards
            }
            return mask;
        }
        catch
        {
            mask.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The photo rectangle whose pixels map into the crop rectangle: the inverse affine of its corners, bounded,
    /// grown by 2 px for the bilinear footprint, clipped to the photo.
    /// </summary>
    private static Rect ImageRectOf(Rect cropRect, double[] m, Size imageSize)
    {
        double det = m[0] * m[4] - m[1] * m[3];
        if (Math.Abs(det) < 1e-12) throw new ArgumentException("The alignment transform is singular.");
        // Inverse of [a b; c d] (x - t).
        double ia = m[4] / det, ib = -m[1] / det, ic = -m[3] / det, id = m[0] / det;
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        foreach (var (cx, cy) in new (double, double)[]
                 {
                     (cropRect.Left - 0.5, cropRect.Top - 0.5), (cropRect.Right - 0.5, cropRect.Top - 0.5),
                     (cropRect.Left - 0.5, cropRect.Bottom - 0.5), (cropRect.Right - 0.5, cropRect.Bottom - 0.5),
                 })
        {
            double dx = cx - m[2], dy = cy - m[5];
            double x = ia * dx + ib * dy, y = ic * dx + id * dy;
            minX = Math.Min(minX, x); maxX = Math.Max(maxX, x);
            minY = Math.Min(minY, y); maxY = Math.Max(maxY, y);
        }
        int x0 = (int)Math.Floor(minX) - 2, y0 = (int)Math.Floor(minY) - 2;
        int x1 = (int)Math.Ceiling(maxX) + 3, y1 = (int)Math.Ceiling(maxY) + 3;
        return new Rect(x0, y0, x1 - x0, y1 - y0) & new Rect(0, 0, imageSize.Width, imageSize.Height);
    }
}
