using MakeupApi.Alignment;
using MakeupApi.FaceAnalysis;
using MakeupApi.FaceAnalysis.Parsing;
using MakeupApi.Transfer.Classical;
using OpenCvSharp;

namespace MakeupApi.Evaluation;

/// <summary>How a parse of one face treats its mouth, against the annotated 68 points (see <see cref="MouthOpeningEvaluation"/>).</summary>
/// <param name="Gap">The annotated inner lips' mean gap (points 61-67, 62-66, 63-65) over the mouth's width (48-54).</param>
/// <param name="LipsOnOpening">Share of the annotated opening (inner-lip polygon 60-67) the parse calls lips: teeth and cavity that an engine would paint.</param>
/// <param name="MouthOnOpening">Share of the annotated opening the parse calls the mouth's interior (label 11).</param>
/// <param name="MouthOnLips">Share of the annotated lips (outer polygon 48-59 minus the opening) the parse calls the mouth's interior: lip an engine would leave bare.</param>
public readonly record struct MouthMeasure(double Gap, double LipsOnOpening, double MouthOnOpening, double MouthOnLips);

/// <summary>An annotated face aligned as the service aligns it: the crop (owned), its mesh and the annotated 68 points in crop pixels.</summary>
public sealed class AnnotatedCrop(Mat crop, Point2f[] mesh, float[] depth, Point2f[] points) : IDisposable
{
    public Mat Crop { get; } = crop;
    public Point2f[] Mesh { get; } = mesh;
    public float[] Depth { get; } = depth;
    public Point2f[] Points { get; } = points;
    public void Dispose() => Crop.Dispose();
}

/// <summary>One photo's mouth as each parser saw it, and whether the photo is grey (<see cref="MouthOpeningEvaluation.IsGrey"/>).</summary>
public sealed record MeasuredMouth(bool Grey, MouthMeasure[] Parsers);

/// <summary>
/// The parser's open mouth measured on photos with no label maps but 68 annotated points (HELEN, 300-W): the inner
/// lip line (points 60-67) bounds the teeth and the cavity, the outer one (48-59) the lips. The 8-point polygons are
/// coarse, so the shares compare parsers on the same photos rather than grade one.
/// </summary>
public static class MouthOpeningEvaluation
{
    /// <summary>A mouth is open, for these measures, when its inner lips' mean gap is at least this share of its width.</summary>
    public const double OpenGap = 0.10;

    /// <summary>The annotated inner lips' mean gap (61-67, 62-66, 63-65) over the mouth's width (48-54): the same in any similar frame.</summary>
    public static double Gap(IReadOnlyList<Point2f> points)
    {
        double width = points[48].DistanceTo(points[54]);
        double gap = (points[61].DistanceTo(points[67]) + points[62].DistanceTo(points[66]) + points[63].DistanceTo(points[65])) / 3;
        return width > 0 ? gap / width : 0;
    }

    /// <summary>
    /// Whether a photo is grey: the median chroma of its pixels, sqrt(a*^2 + b*^2) in 8-bit Lab units, is under 2
    /// (JPEG leaves a grey photo a little chroma; a colour portrait's median is well above 5).
    /// </summary>
    public static bool IsGrey(Mat bgr)
    {
        using var lab = new Mat();
        Cv2.CvtColor(bgr, lab, ColorConversionCodes.BGR2Lab);
        var histogram = new int[256];
        int h = lab.Rows, w = lab.Cols;
        var rows = lab.AsRows<Vec3b>();
        for (int y = 0; y < h; y++)
        {
            var row = rows[y];
            for (int x = 0; x < w; x++)
            {
                int a = row[x].Item1 - 128, b = row[x].Item2 - 128;
                histogram[Math.Min(255, (int)MathF.Sqrt(a * a + b * b))]++;
            }
        }
        // the median's bin: under 2 means at least half of the pixels have chroma below 2
        return histogram[0] + histogram[1] > h * w / 2;
    }

    /// <summary>
    /// Finds the annotated face in its photo (the found face whose nose tip is nearest the annotated one, within half the
    /// eye distance) and aligns it to <paramref name="size"/> as the service does, with the annotated points moved into
    /// the crop. Null when the face is not found.
    /// </summary>
    public static AnnotatedCrop? Align(FaceAnalyzer analyzer, Mat image, AnnotatedFace face, int size)
    {
        var match = analyzer.FindFaces(image).OrderBy(f => f.Ibug68[30].DistanceTo(face.Points[30])).FirstOrDefault();
        if (match is null || !IsAnnotatedFace(match, face.Points)) return null;
        var (crop, toCrop, mesh, depth, _) = FaceAligner.Crop(image, match, size);
        using (toCrop)
            return new AnnotatedCrop(crop, mesh, depth, FaceAligner.MapPoints(toCrop, face.Points));
    }

    /// <summary>Whether a found face is the annotated one: its nose tip within half the annotated eye distance of the annotated nose tip.</summary>
    public static bool IsAnnotatedFace(FaceLandmarks found, IReadOnlyList<Point2f> points) =>
        found.Ibug68[30].DistanceTo(points[30]) <= 0.5 * points[36].DistanceTo(points[45]);

    /// <summary>The annotated opening (the inner lip polygon, points 60-67) as a mask of <paramref name="size"/>; the caller disposes it.</summary>
    public static Mat OpeningMask(Size size, IReadOnlyList<Point2f> points) => Polygon(size, points, 60, 8);

    /// <summary>Reads the annotated face's photo, aligns it (<see cref="Align"/>) and measures each parser's parse of it; null when the face is not found.</summary>
    public static MeasuredMouth? MeasurePhoto(FaceAnalyzer analyzer, AnnotatedFace face, IReadOnlyList<FaceParser> parsers, int size)
    {
        using var image = Cv2.ImRead(face.ImagePath, ImreadModes.Color);
        if (image.Empty()) throw new InvalidDataException($"OpenCV could not read {face.ImagePath}.");
        using var aligned = Align(analyzer, image, face, size);
        if (aligned is null) return null;
        return new MeasuredMouth(IsGrey(image), [.. parsers.Select(parser =>
        {
            using var labels = parser.Parse(aligned.Crop, aligned.Mesh, aligned.Depth);
            return Measure(labels, aligned.Points);
        })]);
    }

    /// <param name="labels">The parse (CelebAMask-HQ classes) of the crop.</param>
    /// <param name="points">The 68 annotated points in the crop's pixels.</param>
    public static MouthMeasure Measure(Mat labels, IReadOnlyList<Point2f> points)
    {
        if (points.Count != 68) throw new ArgumentException("68 points expected.", nameof(points));

        using var opening = OpeningMask(labels.Size(), points);
        using var lips = Polygon(labels.Size(), points, 48, 12);
        Cv2.Subtract(lips, opening, lips);
        using var parsedLips = FaceRegions.LabelMask(labels, FaceLabel.UpperLip, FaceLabel.LowerLip);
        using var parsedMouth = FaceRegions.LabelMask(labels, FaceLabel.Mouth);
        return new MouthMeasure(
            Gap(points),
            Share(parsedLips, opening), Share(parsedMouth, opening), Share(parsedMouth, lips));
    }

    private static Mat Polygon(Size size, IReadOnlyList<Point2f> points, int first, int count)
    {
        var mask = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
        var polygon = Enumerable.Range(first, count).Select(i => new Point((int)Math.Round(points[i].X), (int)Math.Round(points[i].Y))).ToArray();
        Cv2.FillPoly(mask, [polygon], Scalar.All(255));
        return mask;
    }

    /// <summary>|part ∩ whole| / |whole|; 0 when the whole is empty.</summary>
    private static double Share(Mat part, Mat whole)
    {
        int total = Cv2.CountNonZero(whole);
        if (total == 0) return 0;
        using var both = new Mat();
        Cv2.BitwiseAnd(part, whole, both);
        return (double)Cv2.CountNonZero(both) / total;
    }
}
