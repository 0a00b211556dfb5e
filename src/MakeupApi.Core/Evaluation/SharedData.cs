using System.Globalization;
using OpenCvSharp;

namespace MakeupApi.Evaluation;

/// <summary>
/// The shared photo set that lives beside the repository (../shared/data), read in place and never copied.
/// </summary>
public static class SharedData
{
    /// <summary>Walks up from <paramref name="start"/> to the folder holding MakeupApi.sln, then takes ../shared/data.</summary>
    public static string Locate(string? start = null)
    {
        var env = Environment.GetEnvironmentVariable("MAKEUPAPI_SHARED_DATA");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
        for (var dir = new DirectoryInfo(start ?? AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "MakeupApi.sln"))) continue;
            var data = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data"));
            if (Directory.Exists(data)) return data;
            throw new DirectoryNotFoundException(
                $"The shared photo set is missing: expected it at {data} (beside the repository), or set MAKEUPAPI_SHARED_DATA.");
        }
        throw new DirectoryNotFoundException("Could not find the repository root (MakeupApi.sln) above " + (start ?? AppContext.BaseDirectory));
    }
}

/// <summary>One HELEN photo with its 68 iBUG/300-W points.</summary>
public sealed record AnnotatedFace(string Name, string ImagePath, Point2f[] Points);

public static class HelenDataset
{
    /// <summary>
    /// Reads the .pts files (300-W format). The 300-W annotations use 1-based (Matlab) pixel indices, so one pixel is
    /// subtracted to put them in the 0-based frame OpenCV and the mesh use (Sagonas et al., "300 Faces In-the-Wild
    /// Challenge", 2013). The data agree: with the mesh's own eyelids, the held-out HELEN inner-51 NME of the fitted mapping
    /// is 3.37% with origin 1 and 3.42% with origin 0.
    /// </summary>
    public static IReadOnlyList<AnnotatedFace> Load(string folder, double pixelOrigin = 1.0)
    {
        var faces = new List<AnnotatedFace>();
        foreach (var pts in Directory.EnumerateFiles(folder, "*.pts").Order(StringComparer.Ordinal))
        {
            var image = Path.ChangeExtension(pts, ".jpg");
            if (!File.Exists(image)) continue;
            faces.Add(new AnnotatedFace(Path.GetFileNameWithoutExtension(pts), image, ReadPts(pts, pixelOrigin)));
        }
        return faces;
    }

    public static Point2f[] ReadPts(string path, double pixelOrigin)
    {
        var points = new List<Point2f>();
        bool inside = false;
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (line == "{") { inside = true; continue; }
            if (line == "}") break;
            if (!inside || line.Length == 0) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            points.Add(new Point2f(
                (float)(double.Parse(parts[0], CultureInfo.InvariantCulture) - pixelOrigin),
                (float)(double.Parse(parts[1], CultureInfo.InvariantCulture) - pixelOrigin)));
        }
        if (points.Count != 68) throw new InvalidDataException($"{path}: {points.Count} points, expected 68.");
        return [.. points];
    }
}

/// <summary>Normalised mean error (NME), the usual 300-W measure: mean point distance / outer-eye-corner distance (36-45).</summary>
public static class LandmarkMetrics
{
    /// <summary>The 51 inner points: brows, nose, eyes and mouth (iBUG 17..67), i.e. all but the jaw line.</summary>
    public static readonly int[] Inner51 = Enumerable.Range(17, 51).ToArray();
    public static readonly int[] All68 = Enumerable.Range(0, 68).ToArray();

    public static double Nme(IReadOnlyList<Point2f> predicted, IReadOnlyList<Point2f> truth, IReadOnlyList<int> indices)
    {
        double iod = truth[36].DistanceTo(truth[45]);
        double sum = 0;
        foreach (var i in indices) sum += predicted[i].DistanceTo(truth[i]);
        return sum / indices.Count / iod;
    }
}
