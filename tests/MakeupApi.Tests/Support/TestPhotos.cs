using MakeupApi.Evaluation;
using OpenCvSharp;

namespace MakeupApi.Tests.Support;

/// <summary>
/// Paths to the real photos the tests use. They are read in place (shared data beside the repository, the face-api
/// demo photos inside tools/tfjs-reference/node_modules) and never copied; a missing file fails the test with a
/// message saying where it was expected and how to get it.
/// </summary>
public static class TestPhotos
{
    private static readonly Lazy<string> Root = new(() => SharedData.Locate(RepositoryRoot));
    private static readonly Lazy<string> Repo = new(FindRepositoryRoot);

    /// <summary>The shared data folder (../shared/data beside the repository, or MAKEUPAPI_SHARED_DATA).</summary>
    public static string SharedDataRoot => Root.Value;

    /// <summary>The folder holding MakeupApi.sln.</summary>
    public static string RepositoryRoot => Repo.Value;

    public static string HelenFolder => RequireDirectory(Path.Combine(SharedDataRoot, "landmarks", "helen-train"));

    /// <summary>The shared makeup photos ("makeup" or "non-makeup"), in name order.</summary>
    public static IReadOnlyList<string> MakeupSet(string kind) =>
        Directory.GetFiles(RequireDirectory(Path.Combine(SharedDataRoot, "makeup", "images", kind)), "*.png").Order(StringComparer.Ordinal).ToList();

    /// <summary>A HELEN photo by name (e.g. "100032540_1"), without extension.</summary>
    public static string Helen(string name) => RequireFile(Path.Combine(HelenFolder, name + ".jpg"));

    /// <summary>A FASSEG pose photo by file name.</summary>
    public static string Fasseg(string fileName) => RequireFile(Path.Combine(SharedDataRoot, "poses", "fasseg-v3", fileName));

    /// <summary>The tfjs reference tool's folder (tools/tfjs-reference).</summary>
    public static string TfjsReferenceFolder => Path.Combine(RepositoryRoot, "tools", "tfjs-reference");

    /// <summary>face-api's multi-face demo photos sample1..6.jpg, installed with the tfjs reference tool's npm packages.</summary>
    public static string FaceApiSample(int number)
    {
        var path = Path.Combine(TfjsReferenceFolder, "node_modules", "@vladmandic", "face-api", "demo", $"sample{number}.jpg");
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"{path} is missing: install the tfjs reference tool's packages with `npm ci --prefix tools/tfjs-reference` (from the repository root).", path);
        return path;
    }

    /// <summary>Reads a photo as 8-bit BGR, failing loudly rather than returning an empty Mat.</summary>
    public static Mat Read(string path)
    {
        var image = Cv2.ImRead(RequireFile(path), ImreadModes.Color);
        if (image.Empty()) throw new InvalidDataException($"OpenCV could not read {path}.");
        return image;
    }

    public static string RequireFile(string path) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"Test photo missing: {path} (see {SharedDataRoot}/README.md).", path);

    public static string RequireDirectory(string path) =>
        Directory.Exists(path) ? path : throw new DirectoryNotFoundException($"Test data folder missing: {path} (see the shared data README.md).");

    private static string FindRepositoryRoot()
    {
        // The test binaries normally sit inside the repository; a runner may also start them elsewhere from the root.
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "MakeupApi.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException(
            $"Could not find the repository root (MakeupApi.sln) above {AppContext.BaseDirectory} or {Directory.GetCurrentDirectory()}.");
    }
}
