using System.Diagnostics;
using OpenCvSharp;

namespace MakeupApi.FaceAnalysis.Parsing;

/// <summary>One photo of the makeup set with its 512x512 CelebAMask-HQ-style label map.</summary>
public sealed record LabelledPhoto(string Name, string ImagePath, string LabelPath);

/// <summary>A labelled photo ready for scoring: the photo, the mesh of the face found in it, and the labels, all in the labels' 512x512 frame.</summary>
public sealed class ParsingSample(LabelledPhoto photo, Mat image, Point3f[] mesh, Mat truth) : IDisposable
{
    public LabelledPhoto Photo => photo;
    public Mat Image => image;
    public Point3f[] Mesh => mesh;
    public Mat Truth => truth;

    public void Dispose()
    {
        image.Dispose();
        truth.Dispose();
    }
}

/// <summary>Mean IoU per class over the photos (NaN photos, where neither map has the class, left out), and the mean parse time.</summary>
public sealed record ParsingReport(IReadOnlyList<ParsingClass> Classes, double[] MeanIoU, int[] Photos,
    IReadOnlyList<(string Name, double[] IoU)> PerPhoto, double MeanParseMilliseconds)
{
    public double this[ParsingClass c] => MeanIoU[IndexOf(c)];

    private int IndexOf(ParsingClass c)
    {
        for (int i = 0; i < Classes.Count; i++) if (Classes[i] == c) return i;
        throw new ArgumentException($"Class {c.Name} was not scored.", nameof(c));
    }
}

/// <summary>A class compared by IoU: the union of its label values (left and right are not used consistently in the labels).</summary>
public sealed record ParsingClass(string Name, byte[] Values);

/// <summary>
/// Measures a parser against the labelled makeup photos. The label maps are 512x512 while the photos are about
/// 320-361 px: the maps are the photos resized to 512x512 (checked by overlaying their boundaries on the resized photos),
/// so predictions are made on the photo resized to 512x512 with the mesh scaled alike, and compared pixel for pixel.
/// </summary>
public static class ParsingEvaluation
{
    public const int LabelSize = 512;

    public static readonly ParsingClass Skin = new("skin", [FaceLabel.Skin]);
    public static readonly ParsingClass Brows = new("brows", [FaceLabel.LeftBrow, FaceLabel.RightBrow]);
    public static readonly ParsingClass Eyes = new("eyes", [FaceLabel.LeftEye, FaceLabel.RightEye]);
    public static readonly ParsingClass Nose = new("nose", [FaceLabel.Nose]);
    public static readonly ParsingClass Mouth = new("mouth", [FaceLabel.Mouth]);
    public static readonly ParsingClass Lips = new("lips", [FaceLabel.UpperLip, FaceLabel.LowerLip]);
    public static readonly ParsingClass[] Classes = [Skin, Brows, Eyes, Nose, Lips, Mouth];

    /// <summary>The labelled photos under <c>data/makeup</c>: every map in parsing/{makeup,non-makeup} with its photo (81 in the shared set).</summary>
    public static IReadOnlyList<LabelledPhoto> Load(string dataFolder)
    {
        var photos = new List<LabelledPhoto>();
        foreach (var kind in new[] { "makeup", "non-makeup" })
        {
            var labels = Path.Combine(dataFolder, "makeup", "parsing", kind);
            if (!Directory.Exists(labels)) continue;
            foreach (var label in Directory.EnumerateFiles(labels, "*.png").Order(StringComparer.Ordinal))
            {
                var image = Path.Combine(dataFolder, "makeup", "images", kind, Path.GetFileName(label));
                if (!File.Exists(image)) throw new FileNotFoundException($"{label} has no photo: expected {image}.", image);
                photos.Add(new LabelledPhoto($"{kind}/{Path.GetFileNameWithoutExtension(label)}", image, label));
            }
        }
        return photos;
    }

    /// <summary>
    /// Finds the face in <paramref name="photo"/> (the largest, as the service does) and returns it in the labels'
    /// frame, or null when no face is found.
    /// </summary>
    public static ParsingSample? Prepare(LabelledPhoto photo, FaceAnalyzer analyzer)
    {
        using var bgr = Cv2.ImRead(photo.ImagePath, ImreadModes.Color);
        if (bgr.Empty()) throw new InvalidDataException($"OpenCV could not read {photo.ImagePath}.");
        var faces = analyzer.FindFaces(bgr);
        if (faces.Count == 0) return null;
        var truth = ReadLabels(photo.LabelPath);
        var (image, mesh) = ToLabelFrame(bgr, faces[0].Mesh);
        return new ParsingSample(photo, image, mesh, truth);
    }

    /// <summary>A label map: one byte per pixel, 512x512.</summary>
    public static Mat ReadLabels(string path)
    {
        var labels = Cv2.ImRead(path, ImreadModes.Unchanged);
        if (labels.Empty()) throw new InvalidDataException($"OpenCV could not read {path}.");
        if (labels.Type() != MatType.CV_8UC1 || labels.Width != LabelSize || labels.Height != LabelSize)
        {
            var type = labels.Type();
            labels.Dispose();
            throw new InvalidDataException($"{path}: expected a {LabelSize}x{LabelSize} one-byte label map, found {type}.");
        }
        return labels;
    }

    /// <summary>Parses every sample and scores it against its labels.</summary>
    public static ParsingReport Score(FaceParser parser, IReadOnlyList<ParsingSample> samples, IReadOnlyList<ParsingClass>? classes = null)
    {
        classes ??= Classes;
        var sums = new double[classes.Count];
        var counts = new int[classes.Count];
        var perPhoto = new List<(string, double[])>(samples.Count);
        var clock = new Stopwatch();
        foreach (var sample in samples)
        {
            clock.Start();
            using var predicted = parser.Parse(sample.Image, sample.Mesh);
            clock.Stop();
            var iou = IoU(predicted, sample.Truth, classes);
            perPhoto.Add((sample.Photo.Name, iou));
            for (int c = 0; c < classes.Count; c++)
                if (!double.IsNaN(iou[c])) { sums[c] += iou[c]; counts[c]++; }
        }
        var means = sums.Select((s, c) => counts[c] == 0 ? double.NaN : s / counts[c]).ToArray();
        return new ParsingReport(classes, means, counts, perPhoto, samples.Count == 0 ? 0 : clock.Elapsed.TotalMilliseconds / samples.Count);
    }

    /// <summary>The photo resized to the label maps' 512x512 and the mesh moved with it.</summary>
    public static (Mat Image, Point3f[] Mesh) ToLabelFrame(Mat bgr, IReadOnlyList<Point3f> mesh)
    {
        float sx = (float)LabelSize / bgr.Width, sy = (float)LabelSize / bgr.Height;
        // Pixel centres map as (x + 0.5) * s - 0.5, the convention cv::resize uses; depth takes the mean scale.
        var scaled = mesh.Select(p => new Point3f((p.X + 0.5f) * sx - 0.5f, (p.Y + 0.5f) * sy - 0.5f, p.Z * (sx + sy) / 2)).ToArray();
        return (bgr.Resize(new Size(LabelSize, LabelSize), 0, 0, InterpolationFlags.Area), scaled);
    }

    /// <summary>IoU of each class, NaN where neither map has the class.</summary>
    public static double[] IoU(Mat predicted, Mat truth, IReadOnlyList<ParsingClass> classes)
    {
        if (predicted.Size() != truth.Size() || predicted.Type() != MatType.CV_8UC1 || truth.Type() != MatType.CV_8UC1)
            throw new ArgumentException("Both maps must be CV_8UC1 of one size.");
        // One pass: a 256x256 joint histogram of (predicted, truth) values, then each class sums its cells.
        var joint = new long[256 * 256];
        int rows = predicted.Rows, cols = predicted.Cols;
        var predictedRows = predicted.AsRows<byte>();
        var truthRows = truth.AsRows<byte>();
        for (int y = 0; y < rows; y++)
        {
            var p = predictedRows[y];
            var t = truthRows[y];
            for (int x = 0; x < cols; x++) joint[p[x] * 256 + t[x]]++;
        }
        var result = new double[classes.Count];
        for (int c = 0; c < classes.Count; c++)
        {
            var inClass = new bool[256];
            foreach (var v in classes[c].Values) inClass[v] = true;
            long inter = 0, union = 0;
            for (int a = 0; a < 256; a++)
                for (int b = 0; b < 256; b++)
                {
                    long n = joint[a * 256 + b];
                    if (n == 0) continue;
                    if (inClass[a] && inClass[b]) inter += n;
                    if (inClass[a] || inClass[b]) union += n;
                }
            result[c] = union == 0 ? double.NaN : (double)inter / union;
        }
        return result;
    }
}
