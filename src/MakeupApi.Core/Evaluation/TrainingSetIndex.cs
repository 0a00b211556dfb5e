using System.Text.Json;

namespace MakeupApi.Evaluation;

/// <summary>
/// The photos a prepared training set was made from (the faces of its index.json, written by
/// <c>makeupapi-cli prepare-training-data</c>), so that an evaluation can leave out what the generator trained on.
/// A face's id is its dataset's prefix and the photo's file name without extension ("he_100032540_1"); the shared
/// folders have no file name in common, so the name alone identifies the photo.
/// </summary>
public sealed class TrainingSetIndex
{
    private readonly HashSet<string> _photoNames;

    private TrainingSetIndex(HashSet<string> photoNames) => _photoNames = photoNames;

    /// <summary>How many photos the training set used.</summary>
    public int Count => _photoNames.Count;

    /// <summary>The id prepare-training-data gives the face of <paramref name="photoPath"/> from the dataset with this prefix.</summary>
    public static string FaceId(string datasetPrefix, string photoPath)
    {
        if (datasetPrefix.Length == 0 || datasetPrefix.Contains('_'))
            throw new ArgumentException("A dataset prefix is a non-empty word without '_'.", nameof(datasetPrefix));
        return $"{datasetPrefix}_{Path.GetFileNameWithoutExtension(photoPath)}";
    }

    public static TrainingSetIndex Load(string indexPath)
    {
        if (!File.Exists(indexPath))
            throw new FileNotFoundException($"No training-set index at {indexPath} (makeupapi-cli prepare-training-data writes it).", indexPath);
        using var document = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        if (!document.RootElement.TryGetProperty("faces", out var faces) || faces.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{indexPath} has no 'faces' list: not a prepare-training-data index.");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var face in faces.EnumerateArray())
        {
            var id = face.ValueKind == JsonValueKind.Object && face.TryGetProperty("id", out var v) && v.ValueKind == JsonValueKind.String
                ? v.GetString() : null;
            int cut = id?.IndexOf('_') ?? -1;
            if (cut <= 0 || cut == id!.Length - 1)
                throw new InvalidDataException($"{indexPath}: face id '{id}' is not 'prefix_name'.");
            names.Add(id[(cut + 1)..]);
        }
        return new TrainingSetIndex(names);
    }

    /// <summary>Whether the training set was made with the photo at <paramref name="photoPath"/>.</summary>
    public bool Used(string photoPath) => _photoNames.Contains(Path.GetFileNameWithoutExtension(photoPath));
}
