extern alias cli;
using cli::MakeupApi.Cli;

namespace MakeupApi.Tests.Unit.Cli;

/// <summary>
/// The options behind stage 33 (training/STAGES.md): compare-engines --references-from sources, which measures the
/// generator on references it never trained on, and prepare-training-data --wild-refs, which gives training such
/// references; and compare-engines --pairs-exclude, which keeps a decision set to pairs no earlier decision was scored
/// on. Bad values must stop the command before its minutes of model loading.
/// </summary>
public sealed class UnseenReferenceOptionsTests
{
    private readonly StringWriter _output = new(), _errors = new();

    private int Run(CliCommand command, params string[] args) => new CliApp([command], _output, _errors).Run([command.Name, .. args]);

    [Fact]
    public void Alternate_split_puts_every_photo_on_exactly_one_side_in_order()
    {
        string[] photos = ["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg"];

        var (sources, references) = CompareEnginesCommand.AlternateSplit(photos);

        Assert.Equal(["a.jpg", "c.jpg", "e.jpg"], sources);
        Assert.Equal(["b.jpg", "d.jpg"], references);
    }

    [Fact]
    public void Compare_engines_refuses_references_from_anything_but_sources()
    {
        int code = Run(CompareEnginesCommand.Command, "--references-from", "references");

        Assert.Equal(2, code);
        Assert.Contains("--references-from takes only 'sources', not 'references'", _errors.ToString());
    }

    [Theory]
    [InlineData("-0.1")]
    [InlineData("1.5")]
    public void Compare_engines_refuses_a_skin_layer_sigma_outside_zero_to_one_before_loading_models(string sigma)
    {
        int code = Run(CompareEnginesCommand.Command, "--foundation-sigma", sigma);

        Assert.Equal(2, code);
        Assert.Contains($"--foundation-sigma is a share of the crop's side from 0 to 1, not {sigma}", _errors.ToString());
    }

    [Theory]
    [InlineData("0.5")]
    [InlineData("1.5,0.5")]
    [InlineData("0.5,-1")]
    public void Compare_engines_refuses_a_blush_setting_outside_two_shares_before_loading_models(string blush)
    {
        int code = Run(CompareEnginesCommand.Command, "--blush", blush);

        Assert.Equal(2, code);
        Assert.Contains($"--blush is AMOUNT,EVEN, each from 0 to 1, not {blush}", _errors.ToString());
    }

    [Fact]
    public void Compare_engines_refuses_a_missing_used_pairs_file_before_loading_models()
    {
        int code = Run(CompareEnginesCommand.Command, "--pairs-exclude", "/nonexistent/used.csv");

        Assert.Equal(2, code);
        Assert.Contains("--pairs-exclude: No pairs file at /nonexistent/used.csv", _errors.ToString());
    }

    [Fact]
    public void Compare_engines_refuses_a_used_pairs_file_without_source_and_reference_columns()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "engine,src,ref\nany,a,b\n");

            int code = Run(CompareEnginesCommand.Command, "--pairs-exclude", path);

            Assert.Equal(2, code);
            Assert.Contains("has no 'source' and 'reference' columns", _errors.ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Prepare_training_data_refuses_a_negative_wild_reference_count()
    {
        var empty = Directory.CreateTempSubdirectory("makeupapi-wild-refs-").FullName;
        try
        {
            int code = Run(PrepareTrainingDataCommand.Command, "--data", empty, "--out", Path.Combine(empty, "out"), "--wild-refs", "-1");

            Assert.Equal(2, code);
            Assert.Contains("--wild-refs is a count of at least 0, not -1", _errors.ToString());
            Assert.False(Directory.Exists(Path.Combine(empty, "out")));
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }
}
