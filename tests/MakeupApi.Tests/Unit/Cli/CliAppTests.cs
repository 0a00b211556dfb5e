extern alias cli;
using cli::MakeupApi.Cli;

namespace MakeupApi.Tests.Unit.Cli;

/// <summary>
/// The CLI's dispatch: "--help" and mistyped options must be answered before a command runs, because the commands
/// run for minutes and overwrite their outputs (fit-landmarks writes the committed landmark mapping).
/// </summary>
public sealed class CliAppTests
{
    private readonly StringWriter _output = new(), _errors = new();
    private readonly List<CommandLine> _runs = [];

    private CliCommand Recording(Func<CommandLine, int>? body = null) => new("write-file", "writes a file",
        [new("out", "FILE", "where to write"), new("count", "N", "how many"), new("fast", null, "a flag")],
        "Notes after the options.",
        cl => { _runs.Add(cl); return body?.Invoke(cl) ?? 0; });

    private int Run(CliCommand command, params string[] args) => new CliApp([command], _output, _errors).Run(args);

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("--out", "x.json", "--help")]
    [InlineData("--no-such-option", "--help")]
    public void Help_prints_the_declared_options_and_runs_nothing(params string[] options)
    {
        int code = Run(Recording(), ["write-file", .. options]);

        Assert.Equal(0, code);
        Assert.Empty(_runs);
        var help = _output.ToString();
        Assert.Contains("--out FILE", help);
        Assert.Contains("--count N", help);
        Assert.Contains("--fast", help);
        Assert.Contains("Notes after the options.", help);
    }

    [Theory]
    [InlineData("no option --outt", "--outt", "x.json")]
    [InlineData("--out needs a value", "--out")]
    [InlineData("--out needs a value", "--out", "--fast")]
    [InlineData("--out is given twice", "--out", "a", "--out", "b")]
    [InlineData("unexpected 'stray'", "stray")]
    [InlineData("unexpected 'stray'", "--fast", "stray")]
    public void A_command_line_that_breaks_the_declared_options_exits_2_before_the_command_runs(string reason, params string[] options)
    {
        int code = Run(Recording(), ["write-file", .. options]);

        Assert.Equal(2, code);
        Assert.Empty(_runs);
        Assert.Contains(reason, _errors.ToString());
        Assert.Contains("write-file --help", _errors.ToString());
    }

    [Fact]
    public void A_number_option_given_words_exits_2_with_the_option_named()
    {
        int code = Run(Recording(cl => cl.Get("count", 1)), "write-file", "--count", "ten");

        Assert.Equal(2, code);
        Assert.Contains("--count takes a whole number, not 'ten'", _errors.ToString());
    }

    [Fact]
    public void Declared_options_reach_the_command_with_their_values_and_defaults()
    {
        int code = Run(Recording(cl => cl.Get("count", 1) * 10 + (cl.Has("fast") ? 1 : 0)), "write-file", "--count", "-3", "--fast");

        Assert.Equal(-29, code);
        var line = Assert.Single(_runs);
        Assert.Equal("default.json", line.Get("out", "default.json"));
    }

    [Fact]
    public void Reading_an_undeclared_option_is_a_bug_in_the_command_not_a_usage_error()
    {
        Assert.Throws<InvalidOperationException>(() => Run(Recording(cl => cl.Get("other", 0)), "write-file"));
        Assert.Throws<InvalidOperationException>(() => Run(Recording(cl => cl.Has("out") ? 1 : 0), "write-file"));
    }

    [Theory]
    [InlineData(2, "frobnicate")]
    [InlineData(2)]
    [InlineData(0, "--help")]
    public void Without_a_known_command_the_commands_are_listed(int expectedCode, params string[] args)
    {
        int code = Run(Recording(), args);

        Assert.Equal(expectedCode, code);
        Assert.Empty(_runs);
        Assert.Contains("write-file: writes a file", _output.ToString() + _errors.ToString());
    }

    public static TheoryData<string> ShippedCommands => ["fit-landmarks", "eval-parsing", "eval-mouth", "prepare-training-data", "compare-engines"];

    [Theory]
    [MemberData(nameof(ShippedCommands))]
    public void Every_shipped_command_answers_help_without_loading_models_or_writing(string name)
    {
        var shipped = new[] { FitLandmarksCommand.Command, EvaluateParsingCommand.Command, EvaluateMouthCommand.Command, PrepareTrainingDataCommand.Command, CompareEnginesCommand.Command };

        int code = new CliApp(shipped, _output, _errors).Run([name, "--help"]);

        Assert.Equal(0, code);
        var command = Assert.Single(shipped, c => c.Name == name);
        Assert.All(command.Options, o => Assert.Contains("--" + o.Name, _output.ToString()));
    }
}
