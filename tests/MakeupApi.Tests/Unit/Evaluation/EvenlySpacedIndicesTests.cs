using MakeupApi.Evaluation;

namespace MakeupApi.Tests.Unit.Evaluation;

/// <summary>
/// compare-engines picks its pairs with <see cref="PairEvaluation.EvenlySpacedIndices"/>; the README's figures were
/// measured on the phase-0 grid, and the training selection rules confirm a pick on the phase-0.5 grid.
/// </summary>
public sealed class EvenlySpacedIndicesTests
{
    public static TheoryData<int, int> Grids => new()
    {
        { 25850, 200 }, { 25850, 100 }, { 25850, 61 }, { 25795, 200 }, { 2365, 100 }, { 2365, 7 }, { 10, 5 }, { 11, 5 }, { 3, 1 },
    };

    [Theory]
    [MemberData(nameof(Grids))]
    public void Phase_zero_is_the_integer_grid_every_earlier_measurement_used(int count, int limit)
    {
        // the formula compare-engines used before the phase option, kept here as the naive reference
        var earlier = Enumerable.Range(0, limit).Select(i => (int)((long)i * count / limit));

        Assert.Equal(earlier, PairEvaluation.EvenlySpacedIndices(count, limit));
    }

    [Theory]
    [MemberData(nameof(Grids))]
    public void Half_phase_takes_as_many_distinct_pairs_in_order_and_none_of_phase_zeros(int count, int limit)
    {
        var first = PairEvaluation.EvenlySpacedIndices(count, limit);
        var second = PairEvaluation.EvenlySpacedIndices(count, limit, 0.5);

        Assert.Equal(limit, second.Length);
        Assert.All(second, i => Assert.InRange(i, 0, count - 1));
        Assert.Equal(second.Order(), second);
        Assert.Equal(limit, second.Distinct().Count());
        Assert.Empty(first.Intersect(second));
    }

    [Fact]
    public void Half_phase_lands_halfway_between_the_phase_zero_pairs()
    {
        Assert.Equal([0, 2, 4, 6, 8], PairEvaluation.EvenlySpacedIndices(10, 5));
        Assert.Equal([1, 3, 5, 7, 9], PairEvaluation.EvenlySpacedIndices(10, 5, 0.5));
    }

    [Fact]
    public void A_limit_at_or_above_the_count_takes_every_pair_once()
    {
        Assert.Equal([0, 1, 2, 3], PairEvaluation.EvenlySpacedIndices(4, 4, 0.5));
        Assert.Equal([0, 1, 2, 3], PairEvaluation.EvenlySpacedIndices(4, 9));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void A_phase_outside_zero_to_one_is_refused(double phase)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PairEvaluation.EvenlySpacedIndices(10, 5, phase));
    }
}
