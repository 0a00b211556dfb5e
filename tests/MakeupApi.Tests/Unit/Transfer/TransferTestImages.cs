using MakeupApi.Evaluation;
using MakeupApi.FaceAnalysis.Parsing;
using MakeupApi.Transfer;
using OpenCvSharp;

namespace MakeupApi.Tests.Unit.Transfer;

/// <summary>
/// Test images for the transfer and compositing units: a drawn, deterministic face with its label map, and the real
/// MT-dataset photos of ../shared/data with their CelebAMask-HQ label maps (read in place, never copied).
/// </summary>
internal static class TransferTestImages
{
    /// <summary>Colours of a drawn face (BGR).</summary>
    internal sealed record FaceColours(Scalar Skin, Scalar Lips, Scalar Lid, Scalar Brow);

    internal static readonly FaceColours Bare = new(new Scalar(150, 170, 215), new Scalar(140, 140, 200), new Scalar(150, 170, 215), new Scalar(60, 70, 90));
    internal static readonly FaceColours MadeUp = new(new Scalar(170, 185, 225), new Scalar(60, 30, 190), new Scalar(170, 80, 120), new Scalar(30, 35, 45));

    /// <summary>
    /// A frontal face of side <paramref name="size"/>: background, hair, skin oval with a lighting gradient and a fixed
    /// fine texture, nose, eyes (white with an iris), a coloured lid area between eye and brow, brows, lips and a
    /// mouth line. The geometry is the same for every colour set, so one face is the other's perfect "warp".
    /// </summary>
    internal static (Mat Image, Mat Labels) DrawnFace(int size, FaceColours colours)
    {
        var image = new Mat(size, size, MatType.CV_8UC3, new Scalar(120, 140, 110));
        var labels = new Mat(size, size, MatType.CV_8UC1, Scalar.All(FaceLabel.Background));
        float s = size / 256f;
        Point P(double x, double y) => new((int)Math.Round(x * s), (int)Math.Round(y * s));
        Size Z(double w, double h) => new((int)Math.Round(w * s), (int)Math.Round(h * s));

        Fill(image, labels, g => g.Ellipse(P(128, 100), Z(95, 80), 0, 0, 360, Scalar.All(255), -1), new Scalar(40, 45, 60), FaceLabel.Hair);
        Fill(image, labels, g => g.Ellipse(P(128, 135), Z(78, 100), 0, 0, 360, Scalar.All(255), -1), colours.Skin, FaceLabel.Skin);
        Fill(image, labels, g => g.Ellipse(P(128, 140), Z(12, 26), 0, 0, 360, Scalar.All(255), -1), colours.Skin, FaceLabel.Nose);
        foreach (var (cx, eye, brow) in new[] { (95.0, FaceLabel.LeftEye, FaceLabel.LeftBrow), (161.0, FaceLabel.RightEye, FaceLabel.RightBrow) })
        {
            // The lid colour (eye shadow) fills the socket between eye and brow; its label stays skin.
            Fill(image, labels, g => g.Ellipse(P(cx, 106), Z(22, 13), 0, 0, 360, Scalar.All(255), -1), colours.Lid, FaceLabel.Skin);
            Fill(image, labels, g => g.Ellipse(P(cx, 112), Z(17, 7), 0, 0, 360, Scalar.All(255), -1), new Scalar(235, 235, 235), eye);
            using (var iris = new Mat(size, size, MatType.CV_8UC1, Scalar.All(0)))
            {
                iris.Circle(P(cx, 112), (int)Math.Round(5 * s), Scalar.All(255), -1);
                image.SetTo(new Scalar(60, 50, 40), iris);
            }
            Fill(image, labels, g => g.Ellipse(P(cx, 88), Z(22, 4), 0, 0, 360, Scalar.All(255), -1), colours.Brow, brow);
        }
        Fill(image, labels, g => g.Ellipse(P(128, 184), Z(26, 8), 0, 180, 360, Scalar.All(255), -1), colours.Lips, FaceLabel.UpperLip);
        Fill(image, labels, g => g.Ellipse(P(128, 186), Z(24, 10), 0, 0, 180, Scalar.All(255), -1), colours.Lips, FaceLabel.LowerLip);
        Fill(image, labels, g => g.Line(P(106, 185), P(150, 185), Scalar.All(255), Math.Max(1, (int)Math.Round(1.5 * s))), new Scalar(40, 30, 60), FaceLabel.Mouth);

        // Lighting (brighter top-left) and a fixed texture, on everything: shading and detail the engine must keep.
        var random = new Random(17);
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                double light = 1.0 + 0.12 * ((size - x) + (size - y)) / (2.0 * size) - 0.06;
                int grain = random.Next(-6, 7);
                var p = image.At<Vec3b>(y, x);
                image.Set(y, x, new Vec3b(Clamp(p.Item0 * light + grain), Clamp(p.Item1 * light + grain), Clamp(p.Item2 * light + grain)));
            }
        }
        return (image, labels);
    }

    /// <summary>
    /// iBUG 68 points of <see cref="DrawnFace"/> at <paramref name="size"/>, where the drawing has them: the jaw beside
    /// the cheeks (1-3, 13-15), the nose's wings (31, 35), the eyes' corners and lower lids (36, 40-42, 45-47) and the
    /// mouth's corners (48, 54); the other points sit at the nose's tip. Enough for the cheek zones
    /// (FaceRegions.CheekZones).
    /// </summary>
    internal static Point2f[] DrawnLandmarks(int size)
    {
        float s = size / 256f;
        var points = Enumerable.Repeat(new Point2f(128 * s, 160 * s), 68).ToArray();
        void Set(int i, double x, double y) => points[i] = new Point2f((float)(x * s), (float)(y * s));
        Set(1, 52, 125); Set(2, 54, 145); Set(3, 58, 165);
        Set(15, 204, 125); Set(14, 202, 145); Set(13, 198, 165);
        Set(36, 78, 112); Set(41, 87, 118); Set(40, 103, 118); Set(39, 112, 112);
        Set(42, 144, 112); Set(47, 153, 118); Set(46, 169, 118); Set(45, 178, 112);
        Set(31, 118, 160); Set(35, 138, 160);
        Set(48, 102, 185); Set(54, 154, 185);
        return points;
    }

    /// <summary>Paints a round blush of <paramref name="colour"/> (BGR) on each cheek of a <see cref="DrawnFace"/>, on the skin only.</summary>
    internal static void PaintBlush(Mat image, Mat labels, Scalar colour)
    {
        float s = image.Width / 256f;
        using var blush = new Mat(image.Size(), MatType.CV_8UC1, Scalar.All(0));
        foreach (var cx in new[] { 80.0, 176.0 })
            blush.Circle(new Point((int)Math.Round(cx * s), (int)Math.Round(145 * s)), (int)Math.Round(14 * s), Scalar.All(255), -1);
        using var skin = Classes(labels, FaceLabel.Skin);
        Cv2.BitwiseAnd(blush, skin, blush);
        image.SetTo(colour, blush);
    }

    /// <summary>A square of skin-like colour with a fixed random texture (+-10 levels), float BGR 0..255.</summary>
    internal static Mat TexturedSkin(int size, int seed = 5)
    {
        var image = new Mat(size, size, MatType.CV_32FC3);
        var random = new Random(seed);
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                float grain = random.Next(-10, 11);
                image.Set(y, x, new Vec3f(140 + grain, 160 + grain, 205 + grain));
            }
        return image;
    }

    private static byte Clamp(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);

    private static void Fill(Mat image, Mat labels, Action<Mat> draw, Scalar colour, byte label)
    {
        using var mask = new Mat(image.Size(), MatType.CV_8UC1, Scalar.All(0));
        draw(mask);
        image.SetTo(colour, mask);
        labels.SetTo(Scalar.All(label), mask);
    }

    /// <summary>A warped reference that is just the given image and labels, valid everywhere.</summary>
    internal static WarpedReference Unwarped(Mat image, Mat labels) => new()
    {
        Image = image.Clone(),
        Labels = labels.Clone(),
        Valid = new Mat(image.Size(), MatType.CV_8UC1, Scalar.All(255)),
    };

    /// <summary>
    /// A photo of ../shared/data/makeup (<paramref name="kind"/> = "makeup" or "non-makeup") resized to
    /// <paramref name="size"/>, with its label map resized (nearest) to match. Throws with a clear message when the
    /// shared folder is missing.
    /// </summary>
    internal static (Mat Image, Mat Labels) Photo(string kind, string name, int size)
    {
        var root = Path.Combine(SharedData.Locate(), "makeup");
        var imagePath = Path.Combine(root, "images", kind, name);
        var labelPath = Path.Combine(root, "parsing", kind, name);
        if (!File.Exists(imagePath) || !File.Exists(labelPath))
            throw new FileNotFoundException($"Shared test photo {kind}/{name} or its label map is missing under {root}.");
        using var raw = Cv2.ImRead(imagePath, ImreadModes.Color);
        using var rawLabels = Cv2.ImRead(labelPath, ImreadModes.Grayscale);
        var image = raw.Resize(new Size(size, size), 0, 0, InterpolationFlags.Area);
        var labels = rawLabels.Resize(new Size(size, size), 0, 0, InterpolationFlags.Nearest);
        return (image, labels);
    }

    /// <summary>Mask of the given classes (0/255).</summary>
    internal static Mat Classes(Mat labels, params byte[] classes)
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

    internal static int CountDifferentPixels(Mat a, Mat b, Mat? within = null)
    {
        using var diff = new Mat();
        Cv2.Absdiff(a, b, diff);
        var channels = diff.Split();
        try
        {
            using var any = new Mat();
            Cv2.Max(channels[0], channels[1], any);
            Cv2.Max(any, channels[2], any);
            if (within is not null) Cv2.BitwiseAnd(any, within, any);
            return Cv2.CountNonZero(any);
        }
        finally
        {
            foreach (var c in channels) c.Dispose();
        }
    }
}
