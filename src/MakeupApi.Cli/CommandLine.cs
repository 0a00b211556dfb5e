namespace MakeupApi.Cli;

/// <summary>Minimal "--name value" option reader; every command documents its own options.</summary>
internal sealed class CommandLine(string[] args)
{
    public string? Get(string name)
    {
        int i = Array.IndexOf(args, "--" + name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public string Get(string name, string fallback) => Get(name) ?? fallback;
    public int Get(string name, int fallback) => Get(name) is { } v ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;
    public bool Has(string name) => Array.IndexOf(args, "--" + name) >= 0;
}
