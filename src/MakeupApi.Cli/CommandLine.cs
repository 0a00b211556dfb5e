using System.Globalization;

namespace MakeupApi.Cli;

/// <summary>One option of a command: "--name VALUE" when <paramref name="Value"/> names the value, else a flag.</summary>
internal sealed record CliOption(string Name, string? Value, string Help);

/// <summary>
/// One command of the CLI. Its options are declared here, once: the help text is printed from them, and the command
/// line is checked against them before the command runs, so a typo or a "--help" never starts a long run that writes
/// files (fit-landmarks and prepare-training-data overwrite their outputs).
/// </summary>
internal sealed record CliCommand(string Name, string Purpose, IReadOnlyList<CliOption> Options, string Notes, Func<CommandLine, int> Run)
{
    public string Help
    {
        get
        {
            var lines = new List<string> { $"makeupapi-cli {Name}: {Purpose}", "options:" };
            var heads = Options.Select(o => "  --" + o.Name + (o.Value is null ? "" : " " + o.Value)).ToList();
            int width = heads.Max(h => h.Length) + 2;
            lines.AddRange(Options.Select((o, i) => heads[i].PadRight(width) + o.Help));
            lines.Add("  --help".PadRight(width) + "this text; nothing runs");
            if (Notes.Length > 0) lines.Add(Notes);
            return string.Join('\n', lines);
        }
    }
}

/// <summary>A command line that broke its command's declared options; the CLI answers it with exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>The "--name value" options of one command line, checked against the command's declaration.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, CliOption> _declared;
    private readonly Dictionary<string, string?> _given = new(StringComparer.Ordinal);

    private CommandLine(CliCommand command) =>
        _declared = command.Options.ToDictionary(o => o.Name, StringComparer.Ordinal);

    /// <summary>Refuses (UsageException) an undeclared option, a missing value, a repeated option or a stray word.</summary>
    public static CommandLine Parse(CliCommand command, IReadOnlyList<string> args)
    {
        var line = new CommandLine(command);
        for (int i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || args[i].Length == 2)
                throw new UsageException($"unexpected '{args[i]}': options are --name or --name VALUE");
            var name = args[i][2..];
            if (!line._declared.TryGetValue(name, out var option))
                throw new UsageException($"no option --{name}; {command.Name} takes {string.Join(", ", command.Options.Select(o => "--" + o.Name))}");
            if (line._given.ContainsKey(name)) throw new UsageException($"--{name} is given twice");
            string? value = null;
            if (option.Value is not null)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new UsageException($"--{name} needs a value: --{name} {option.Value}");
                value = args[++i];
            }
            line._given[name] = value;
        }
        return line;
    }

    public string? Get(string name) => _given.GetValueOrDefault(Declared(name, takesValue: true).Name);

    public string Get(string name, string fallback) => Get(name) ?? fallback;

    public int Get(string name, int fallback) =>
        Get(name) is not { } v ? fallback
        : int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n
        : throw new UsageException($"--{name} takes a whole number, not '{v}'");

    public double Get(string name, double fallback) =>
        Get(name) is not { } v ? fallback
        : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.IsFinite(x) ? x
        : throw new UsageException($"--{name} takes a number, not '{v}'");

    public bool Has(string name) => _given.ContainsKey(Declared(name, takesValue: false).Name);

    // A command reading an option it did not declare is a bug in the command, not a user's mistake.
    private CliOption Declared(string name, bool takesValue) =>
        _declared.TryGetValue(name, out var option) && (option.Value is not null) == takesValue ? option
        : throw new InvalidOperationException($"the command reads --{name}, which it does not declare as a {(takesValue ? "valued option" : "flag")}");
}

/// <summary>The CLI's dispatch: picks the command, answers --help, checks the options, maps usage errors to exit 2.</summary>
internal sealed class CliApp(IReadOnlyList<CliCommand> commands, TextWriter output, TextWriter errors)
{
    public int Run(string[] args)
    {
        string overview = "usage: makeupapi-cli <command> [options]; makeupapi-cli <command> --help\ncommands:\n" +
                          string.Join('\n', commands.Select(c => $"  {c.Name}: {c.Purpose}"));
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            (args.Length == 0 ? errors : output).WriteLine(overview);
            return args.Length == 0 ? 2 : 0;
        }
        var command = commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            errors.WriteLine($"makeupapi-cli: no command '{args[0]}'\n{overview}");
            return 2;
        }
        if (args.Skip(1).Any(a => a is "--help" or "-h"))
        {
            output.WriteLine(command.Help);
            return 0;
        }
        try
        {
            return command.Run(CommandLine.Parse(command, args[1..]));
        }
        catch (UsageException e)
        {
            errors.WriteLine($"{command.Name}: {e.Message}\n(makeupapi-cli {command.Name} --help lists the options)");
            return 2;
        }
    }
}
