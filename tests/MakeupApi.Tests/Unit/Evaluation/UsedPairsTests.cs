using MakeupApi.Evaluation;
using MakeupApi.Tests.Support;

namespace MakeupApi.Tests.Unit.Evaluation;

public sealed class UsedPairsTests
{
    private static UsedPairs Parse(string csv) => UsedPairs.Parse(new StringReader(csv), "test.csv");

    [Fact]
    public void Pairs_are_read_from_the_named_columns_wherever_they_stand()
    {
        // a compare-engines --csv file: engine first, measures after
        var measured = Parse("engine,source,reference,lips_before\ngenerator,100040721_2,vFG506,12.5\nclassical,100040721_2,vFG506,12.5\n");
        // columns in another order, and a blank line
        var reordered = Parse("reference,x,source\nvHX213,1,2302182824_1\n\nvFG149,2,2302240607_2\n");

        Assert.Equal(1, measured.Count);
        Assert.True(measured.Contains("100040721_2", "vFG506"));
        Assert.Equal(2, reordered.Count);
        Assert.True(reordered.Contains("2302182824_1", "vHX213"));
        Assert.True(reordered.Contains("2302240607_2", "vFG149"));
        Assert.False(reordered.Contains("2302182824_1", "vFG149"));
    }

    [Fact]
    public void A_pair_with_source_and_reference_swapped_is_another_pair()
    {
        var used = Parse("engine,source,reference\nany,a,b\n");

        Assert.True(used.Contains("a", "b"));
        Assert.False(used.Contains("b", "a"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("engine,source,ref\nany,a,b\n")]
    [InlineData("engine,reference\nany,b\n")]
    public void A_file_without_source_and_reference_columns_is_refused(string csv)
    {
        var error = Assert.Throws<InvalidDataException>(() => Parse(csv));
        Assert.Contains("'source' and 'reference'", error.Message);
    }

    [Fact]
    public void A_short_row_is_refused_with_its_line_number()
    {
        var error = Assert.Throws<InvalidDataException>(() => Parse("engine,source,reference\nany,a,b\nany,c\n"));
        Assert.Contains("line 3", error.Message);
    }

    [Fact]
    public void The_repositorys_record_of_used_pairs_loads_with_a_recorded_pair()
    {
        var path = Path.Combine(TestPhotos.RepositoryRoot, "training", "eval-pairs-used.csv");
        var firstPair = File.ReadLines(path).Skip(1).First().Split(',');

        var used = UsedPairs.Load(path);

        Assert.True(used.Count > 10_000, $"{used.Count} pairs");
        Assert.True(used.Contains(firstPair[1], firstPair[2]));
    }
}
