namespace MakeupApi.Evaluation;

/// <summary>
/// The (source, reference) photo pairs a csv file names in its <c>source</c> and <c>reference</c> columns: a
/// <c>compare-engines --csv</c> file, or training/eval-pairs-used.csv, where every pair an earlier training decision
/// was scored on is recorded. A decision set drawn from a pool that earlier sets used leaves these out, so that it is
/// scored only on pairs no earlier choice saw (training/tools/paired_scores.py --exclude does the same after scoring).
/// Names are photo file names without extension, as both files write them; the columns are plain comma-separated
/// fields (no quoting: photo names hold no commas).
/// </summary>
public sealed class UsedPairs
{
    private readonly HashSet<(string Source, string Reference)> _pairs;

    private UsedPairs(HashSet<(string, string)> pairs) => _pairs = pairs;

    /// <summary>How many distinct pairs the file names.</summary>
    public int Count => _pairs.Count;

    public static UsedPairs Load(string csvPath)
    {
        if (!File.Exists(csvPath)) throw new FileNotFoundException($"No pairs file at {csvPath}.", csvPath);
        using var reader = new StreamReader(csvPath);
        return Parse(reader, csvPath);
    }

    /// <summary>Reads the pairs from csv text; <paramref name="name"/> only names the text in error messages.</summary>
    public static UsedPairs Parse(TextReader reader, string name)
    {
        var header = reader.ReadLine()?.Split(',');
        int source = header is null ? -1 : Array.IndexOf(header, "source");
        int reference = header is null ? -1 : Array.IndexOf(header, "reference");
        if (source < 0 || reference < 0)
            throw new InvalidDataException($"{name} has no 'source' and 'reference' columns in its first line.");

        var pairs = new HashSet<(string, string)>();
        int lineNumber = 1;
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (line.Length == 0) continue;
            var fields = line.Split(',');
            if (fields.Length <= Math.Max(source, reference))
                throw new InvalidDataException($"{name}, line {lineNumber}: {fields.Length} fields, the header has {header!.Length}.");
            pairs.Add((fields[source], fields[reference]));
        }
        return new UsedPairs(pairs);
    }

    /// <summary>Whether the file names this pair, in this order (a pair with source and reference swapped is another pair).</summary>
    public bool Contains(string sourceName, string referenceName) => _pairs.Contains((sourceName, referenceName));
}
