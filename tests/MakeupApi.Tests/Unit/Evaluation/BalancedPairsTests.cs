using MakeupApi.Evaluation;

namespace MakeupApi.Tests.Unit.Evaluation;

/// <summary>
/// compare-engines --pairs-layout balanced picks its pairs with <see cref="PairEvaluation.BalancedPairs"/>; stage 21's
/// selection and confirmation sets (training/STAGES.md) are its phase 0 and phase 0.5 runs over 220 x 55 pairs.
/// </summary>
public sealed class BalancedPairsTests
{
    // (sources, references): the unseen HELEN sets of stages 17-21 against the 55 references, the makeup set, and small
    // grids with every kind of common divisor (coprime, one divides the other, a shared factor, a side of one).
    public static TheoryData<int, int> Grids => new()
    {
        { 220, 55 }, { 470, 55 }, { 43, 55 }, { 6, 4 }, { 4, 6 }, { 12, 18 }, { 7, 7 }, { 1, 5 }, { 5, 1 },
    };

    public static TheoryData<int, int, int> Runs => new()
    {
        { 220, 55, 200 }, { 470, 55, 200 }, { 470, 55, 61 }, { 43, 55, 100 }, { 12, 18, 40 }, { 6, 4, 9 }, { 7, 7, 20 }, { 1, 5, 2 },
    };

    [Theory]
    [MemberData(nameof(Grids))]
    public void The_whole_order_is_every_pair_exactly_once(int sources, int references)
    {
        foreach (var phase in new[] { 0, 0.5, 0.9 })
        {
            var all = PairEvaluation.BalancedPairs(sources, references, sources * references, phase);

            Assert.Equal(sources * references, all.Length);
            Assert.Equal(sources * references, all.Distinct().Count());
            Assert.All(all, p => { Assert.InRange(p.Source, 0, sources - 1); Assert.InRange(p.Reference, 0, references - 1); });
        }
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void A_run_uses_every_source_equally_to_within_one(int sources, int references, int limit)
    {
        foreach (var phase in new[] { 0, 0.5, 0.37 })
        {
            var counts = Counts(PairEvaluation.BalancedPairs(sources, references, limit, phase).Select(p => p.Source), sources);

            Assert.InRange(counts.Max() - counts.Min(), 0, 1);
        }
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void A_run_uses_every_reference_equally_to_within_one_per_skip_at_a_cycle_boundary(int sources, int references, int limit)
    {
        // lcm(S, R), found the naive way
        int cycle = Enumerable.Range(1, sources * references).First(l => l % sources == 0 && l % references == 0);
        foreach (var phase in new[] { 0, 0.5, 0.37 })
        {
            var counts = Counts(PairEvaluation.BalancedPairs(sources, references, limit, phase).Select(p => p.Reference), references);
            // a run of `limit` entries crosses at most ceil(limit / cycle) boundaries (the wrap to the first entry is one), and
            // each splits it into cyclic stretches whose counts are level to within one
            int boundaries = (limit + cycle - 1) / cycle;

            Assert.InRange(counts.Max() - counts.Min(), 0, 1 + boundaries);
            Assert.InRange(counts.Count(c => c > 0), Math.Min(limit, references) - boundaries, references);
        }
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public void Half_phase_takes_as_many_distinct_pairs_and_none_of_phase_zeros(int sources, int references, int limit)
    {
        var first = PairEvaluation.BalancedPairs(sources, references, limit);
        var second = PairEvaluation.BalancedPairs(sources, references, limit, 0.5);

        Assert.Equal(limit, second.Length);
        Assert.Equal(limit, second.Distinct().Count());
        Assert.Empty(first.Intersect(second));
    }

    [Fact]
    public void Where_the_grid_aliases_to_ten_references_the_balanced_run_uses_all_55()
    {
        // 200 of 220 x 55 pairs: the grid's stride is 60.5, so its references repeat after 10 (the flaw this layout fixes)
        var grid = PairEvaluation.EvenlySpacedIndices(220 * 55, 200).Select(i => i % 55).Distinct().Count();
        var balanced = PairEvaluation.BalancedPairs(220, 55, 200).Select(p => p.Reference).Distinct().Count();

        Assert.Equal(10, grid);
        Assert.Equal(55, balanced);
    }

    [Fact]
    public void The_first_pairs_step_both_sides_by_one()
    {
        Assert.Equal([(0, 0), (1, 1), (2, 2), (3, 3), (4, 0), (5, 1), (0, 2), (1, 3)], PairEvaluation.BalancedPairs(6, 4, 8));
    }

    [Fact]
    public void An_empty_side_gives_no_pairs()
    {
        Assert.Empty(PairEvaluation.BalancedPairs(0, 55, 10));
        Assert.Empty(PairEvaluation.BalancedPairs(43, 0, 10));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void A_phase_outside_zero_to_one_is_refused(double phase)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PairEvaluation.BalancedPairs(10, 5, 5, phase));
    }

    private static int[] Counts(IEnumerable<int> indices, int size)
    {
        var counts = new int[size];
        foreach (var i in indices) counts[i]++;
        return counts;
    }
}
