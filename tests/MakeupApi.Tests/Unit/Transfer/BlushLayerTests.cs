using MakeupApi.Evaluation;
using MakeupApi.Transfer;
using MakeupApi.Transfer.Classical;
using OpenCvSharp;
using static MakeupApi.Tests.Unit.Transfer.TransferTestImages;

namespace MakeupApi.Tests.Unit.Transfer;

public sealed class BlushLayerTests
{
    private const int Grid = 96;

    /// <summary>Plain skin (BGR) of the grids, and a pink of the same lightness class for blush.</summary>
    private static readonly Scalar Skin = new(150, 170, 215);
    private static readonly Scalar Pink = new(150, 140, 225);

    /// <summary>A skin-coloured grid (float CIELAB) with the given BGR painted on both cheek discs.</summary>
    private static Mat LabGrid(Scalar skin, Scalar? cheeks = null, double shadeRightHalf = 1)
    {
        using var bgr = new Mat(Grid, Grid, MatType.CV_8UC3, skin);
        if (cheeks is { } c) using (var discs = CheekDiscs()) bgr.SetTo(c, discs);
        using var f = new Mat();
        bgr.ConvertTo(f, MatType.CV_32FC3, 1 / 255.0);
        if (shadeRightHalf != 1)
            using (var right = f[new Rect(Grid / 2, 0, Grid / 2, Grid)]) Cv2.Multiply(right, Scalar.All(shadeRightHalf), right);
        var lab = new Mat();
        Cv2.CvtColor(f, lab, ColorConversionCodes.BGR2Lab);
        return lab;
    }

    private static Mat CheekDiscs()
    {
        var discs = new Mat(Grid, Grid, MatType.CV_8UC1, Scalar.All(0));
        discs.Circle(new Point(24, 56), 10, Scalar.All(255), -1);
        discs.Circle(new Point(72, 56), 10, Scalar.All(255), -1);
        return discs;
    }

    private static Mat Cover(Mat mask)
    {
        var cover = new Mat();
        mask.ConvertTo(cover, MatType.CV_32FC1, 1 / 255.0);
        return cover;
    }

    private static Mat Full(float value) => new(Grid, Grid, MatType.CV_32FC1, Scalar.All(value));

    private static Mat? Change(Mat srcLab, Mat refLab, float evenOwn = 0.5f, Mat? refSkin = null,
        float midline = float.NaN, (float Left, float Right)? sideScales = null)
    {
        using var skin = Full(1);
        using var discs = CheekDiscs();
        using var cheeks = Cover(discs);
        return BlushLayer.Change(srcLab, skin, cheeks, refLab, refSkin ?? skin, cheeks, 1f, evenOwn, 1.5, 2, 25f, midline, sideScales);
    }

    /// <summary>The grid's midline column, between the two cheek discs (x 24 and 72).</summary>
    private const float Midline = Grid / 2f - 0.5f;

    [Fact]
    public void Each_side_of_the_midline_takes_its_own_share_of_the_blush()
    {
        using var src = LabGrid(Skin);
        using var refr = LabGrid(Skin, Pink);
        using var whole = Change(src, refr)!;
        using var scaled = Change(src, refr, midline: Midline, sideScales: (0.25f, 1f))!;
        Assert.True(A(whole, 24, 56) > 5, $"whole blush on the left cheek: {A(whole, 24, 56):F2}");
        Assert.Equal(0.25 * A(whole, 24, 56), A(scaled, 24, 56), 2);
        Assert.Equal(A(whole, 72, 56), A(scaled, 72, 56), 3);
    }

    [Theory]
    [InlineData(0.30, 0.02, 1.5, 0.10, 1.0)]
    [InlineData(0.10, 0.10, 1.5, 1.0, 1.0)]
    [InlineData(0.12, 0.10, 1.5, 1.0, 1.0)]
    [InlineData(0.02, 0.30, 1.0, 1.0, 0.0667)]
    [InlineData(0.0, 0.0, 1.5, 1.0, 1.0)]
    public void Side_scales_hold_the_redder_cheek_to_the_balance_times_the_other(double leftRed, double rightRed, float balance,
        double expectedLeft, double expectedRight)
    {
        var (l, r) = BlushLayer.SideScales((leftRed, rightRed), balance);
        Assert.Equal(expectedLeft, l, 3);
        Assert.Equal(expectedRight, r, 3);
    }

    [Fact]
    public void Without_both_cheeks_redness_or_with_the_balance_off_both_cheeks_take_the_whole_blush()
    {
        Assert.Equal((1f, 1f), BlushLayer.SideScales(null, 1.5f));
        Assert.Equal((1f, 1f), BlushLayer.SideScales((0.3, 0.0), float.PositiveInfinity));
    }

    [Fact]
    public void Side_redness_finds_a_blush_on_one_cheek_of_a_drawn_face_and_on_both_alike()
    {
        var (face, labels) = DrawnFace(256, MadeUp);
        using (face) using (labels)
        using (var both = face.Clone())
        using (var one = face.Clone())
        using (var regions = FaceRegions.Build(labels, DrawnLandmarks(256)))
        {
            PaintBlush(both, labels, new Scalar(165, 150, 240));
            using (var left = one[new Rect(0, 0, 128, 256)])
            using (var blushedLeft = both[new Rect(0, 0, 128, 256)])
                blushedLeft.CopyTo(left);
            var (bothLeft, bothRight) = BlushLayer.SideRedness(both, regions, 128)!.Value;
            var (oneLeft, oneRight) = BlushLayer.SideRedness(one, regions, 128)!.Value;
            Assert.True(bothLeft > 0.03 && Math.Abs(bothLeft - bothRight) < 0.1 * bothLeft, $"both cheeks: {bothLeft:F3}, {bothRight:F3}");
            Assert.True(oneLeft > 0.03 && oneRight < 0.1 * oneLeft, $"left cheek only: {oneLeft:F3}, {oneRight:F3}");
            Assert.Equal((1f, 1f), BlushLayer.SideScales((bothLeft, bothRight), 1.5f));
            var scales = BlushLayer.SideScales((oneLeft, oneRight), 1.5f);
            Assert.True(scales.Left < 0.2f && scales.Right == 1f, $"scales {scales}");
        }
    }

    private static float A(Mat change, int x, int y) => change.At<Vec3f>(y, x).Item1;

    private static double LabA(Mat lab, int x, int y) => lab.At<Vec3f>(y, x).Item1;

    [Fact]
    public void A_reference_blush_lands_on_the_source_cheeks_and_nowhere_away_from_them()
    {
        using var src = LabGrid(Skin);
        using var refr = LabGrid(Skin, Pink);
        using var change = Change(src, refr)!;
        double blush = LabA(refr, 24, 56) - LabA(refr, 48, 10);
        Assert.True(blush > 8, $"the drawn blush adds {blush:F1} a*");
        // The cheeks take the blush's a* per unit of lightness at their own lightness. The drawn pink is 6 L* darker
        // than the skin, which the layer leaves alone, so the same ratio gives a little more a* than the pink has
        // (22.7 for 19.8).
        var skin = refr.At<Vec3f>(10, 48);
        var pink = refr.At<Vec3f>(56, 24);
        double expected = (pink.Item1 / pink.Item0 - skin.Item1 / skin.Item0) * src.At<Vec3f>(56, 24).Item0;
        Assert.InRange(A(change, 24, 56), 0.9 * expected, 1.05 * expected);
        Assert.InRange(A(change, 72, 56), 0.9 * expected, 1.05 * expected);
        // The forehead, far from both cheeks, is left alone, and lightness is never touched.
        Assert.Equal(0f, A(change, 48, 5));
        Assert.Equal(0f, change.At<Vec3f>(56, 24).Item0);
    }

    [Fact]
    public void Shade_on_half_the_reference_gives_the_source_almost_no_colour()
    {
        // No blush, but the right half of the reference lies in shade (60% of the light): its a* and b* fall with
        // its lightness. Taken as a* and b* themselves, that would grey one cheek and redden the other by about 2.5.
        using var src = LabGrid(Skin);
        using var refr = LabGrid(Skin, shadeRightHalf: 0.6);
        using var change = Change(src, refr)!;
        double rawGap = LabA(refr, 24, 56) - LabA(refr, 72, 56);
        Assert.True(rawGap > 3, $"the shade moves a* by {rawGap:F1}");
        foreach (var (x, y) in new[] { (24, 56), (72, 56) })
        {
            var d = change.At<Vec3f>(y, x);
            Assert.True(Math.Abs(d.Item1) < 1 && Math.Abs(d.Item2) < 1, $"cheek at {x}: a* {d.Item1:F2}, b* {d.Item2:F2}");
        }
    }

    [Fact]
    public void The_source_own_flush_is_evened_by_the_set_share()
    {
        using var src = LabGrid(Skin, Pink);
        using var refr = LabGrid(Skin);
        double flush = LabA(src, 24, 56) - LabA(src, 48, 10);
        using (var none = Change(src, refr, evenOwn: 0)!) Assert.True(Math.Abs(A(none, 24, 56)) < 0.3, $"evenOwn 0: {A(none, 24, 56):F2}");
        using (var half = Change(src, refr, evenOwn: 0.5f)!) Assert.InRange(A(half, 24, 56), -0.6 * flush, -0.4 * flush);
        using (var all = Change(src, refr, evenOwn: 1)!) Assert.InRange(A(all, 24, 56), -1.1 * flush, -0.85 * flush);
    }

    [Fact]
    public void A_cheek_the_reference_does_not_show_takes_no_blush()
    {
        // The reference's left cheek is hidden (hair, the warp's hole): its skin cover is 0 there.
        using var src = LabGrid(Skin);
        using var refr = LabGrid(Skin, Pink);
        using var refSkin = Full(1);
        using (var hidden = refSkin[new Rect(0, 30, 42, 50)]) hidden.SetTo(Scalar.All(0));
        using var change = Change(src, refr, refSkin: refSkin)!;
        Assert.True(Math.Abs(A(change, 24, 56)) < 0.5, $"hidden cheek: {A(change, 24, 56):F2}");
        Assert.True(A(change, 72, 56) > 5, $"shown cheek: {A(change, 72, 56):F2}");
    }

    /// <summary>
    /// The bare drawn face with its landmarks, and the made-up one with a pink blush as its (unwarped) reference; the
    /// cheeks' a* over the plain skin (<see cref="Flush"/>) on any image of that geometry. Owns every Mat.
    /// </summary>
    private sealed class BlushedPair : IDisposable
    {
        public Mat Source { get; }
        public Mat Labels { get; }
        public Mat Reference { get; }
        public Point2f[] Landmarks { get; } = DrawnLandmarks(256);
        public WarpedReference Warped { get; }
        private readonly Mat _referenceLabels;
        private readonly FaceRegions _regions;
        private readonly Mat _plain = new();

        public BlushedPair()
        {
            (Source, Labels) = DrawnFace(256, Bare);
            (Reference, _referenceLabels) = DrawnFace(256, MadeUp);
            PaintBlush(Reference, _referenceLabels, new Scalar(165, 150, 240));
            Warped = Unwarped(Reference, _referenceLabels);
            _regions = FaceRegions.Build(Labels, Landmarks);
            Cv2.Subtract(_regions.Skin, _regions.Cheeks, _plain);
        }

        public Mat Cheeks => _regions.Cheeks;

        public double Flush(Mat image) => Ciede2000.MeanLab(image, _regions.Cheeks)!.Value.Item1 - Ciede2000.MeanLab(image, _plain)!.Value.Item1;

        public Mat Transfer(ClassicalMakeupEngine engine, RegionStrengths strengths) => engine.Transfer(Source, Labels, Landmarks, Warped, strengths);

        public void Dispose()
        {
            foreach (var m in new[] { Source, Labels, Reference, _referenceLabels, _plain }) m.Dispose();
            Warped.Dispose();
            _regions.Dispose();
        }
    }

    [Fact]
    public void The_engine_leaves_a_blush_the_reference_shows_on_one_cheek_only()
    {
        // One "blushing" cheek is how a side light shows on a reference. The engine weighs the sides in the
        // reference's own crop (WarpedReference.Unwarped); without it, or with the balance off, the blush goes on.
        var landmarks = DrawnLandmarks(256);
        var (source, labels) = DrawnFace(256, Bare);
        var (reference, refLabels) = DrawnFace(256, MadeUp);
        using (source) using (labels) using (reference) using (refLabels)
        using (var both = reference.Clone())
        using (var regions = FaceRegions.Build(labels, landmarks))
        using (var leftCheek = regions.Cheeks.Clone())
        {
            PaintBlush(both, refLabels, new Scalar(165, 150, 240));
            using (var left = reference[new Rect(0, 0, 128, 256)])
            using (var blushedLeft = both[new Rect(0, 0, 128, 256)])
                blushedLeft.CopyTo(left);
            using (var right = leftCheek[new Rect(128, 0, 128, 256)]) right.SetTo(Scalar.All(0));
            using var own = new Alignment.AlignedFace
            {
                Image = reference.Clone(), Labels = refLabels.Clone(), ToCrop = new Mat(2, 3, MatType.CV_64FC1, Scalar.All(0)),
                Mesh = [], MeshDepth = [], Ibug68 = landmarks,
            };
            using var warped = new WarpedReference
            {
                Image = reference.Clone(), Labels = refLabels.Clone(), Valid = new Mat(reference.Size(), MatType.CV_8UC1, Scalar.All(255)),
                Unwarped = own,
            };
            var blushOnly = new RegionStrengths(Lips: 0, Eyes: 0, Brows: 0, Skin: 0, Blush: 1);
            double before = Ciede2000.MeanLab(source, leftCheek)!.Value.Item1;
            double LeftCheekAdded(ClassicalMakeupEngine engine)
            {
                using var output = engine.Transfer(source, labels, landmarks, warped, blushOnly);
                return Ciede2000.MeanLab(output, leftCheek)!.Value.Item1 - before;
            }
            double balanced = LeftCheekAdded(new ClassicalMakeupEngine());
            double unbalanced = LeftCheekAdded(new ClassicalMakeupEngine(new ClassicalEngineOptions { BlushSideBalance = float.PositiveInfinity }));
            Assert.True(unbalanced > 4, $"with the balance off the left cheek took {unbalanced:F1} a*");
            Assert.True(Math.Abs(balanced) < 0.5, $"balanced, the left cheek took {balanced:F1} a*");
        }
    }

    [Fact]
    public void Blush_follows_the_skin_strength_unless_set_and_works_with_the_skin_left_alone()
    {
        using var pair = new BlushedPair();
        var engine = new ClassicalMakeupEngine();
        RegionStrengths Only(float skin, float? blush) => new(Lips: 0, Eyes: 0, Brows: 0, Skin: skin, Blush: blush);
        // skin 0 alone still means the whole skin left alone, cheeks included.
        using (var none = pair.Transfer(engine, Only(0, null)))
            Assert.Equal(0, CountDifferentPixels(pair.Source, none));
        // Blush alone: the cheeks take it, the skin further than 30 px from them stays the source's.
        using (var blushOnly = pair.Transfer(engine, Only(0, 1)))
        {
            double added = pair.Flush(blushOnly) - pair.Flush(pair.Source);
            Assert.True(added > 4, $"blush alone added {added:F1} a*");
            using var far = new Mat();
            using (var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new OpenCvSharp.Size(61, 61)))
                Cv2.Dilate(pair.Cheeks, far, kernel);
            Cv2.BitwiseNot(far, far);
            Assert.Equal(0, CountDifferentPixels(pair.Source, blushOnly, far));
        }
        // Foundation without blush: the cheeks keep their colour over the skin.
        using (var noBlush = pair.Transfer(engine, Only(1, 0)))
        {
            double moved = pair.Flush(noBlush) - pair.Flush(pair.Source);
            Assert.True(Math.Abs(moved) < 1, $"foundation alone moved the cheeks {moved:F1} a*");
        }
    }

    [Fact]
    public void The_engine_puts_a_reference_blush_on_a_drawn_face_only_when_blush_is_on()
    {
        using var pair = new BlushedPair();
        using var with = pair.Transfer(new ClassicalMakeupEngine(), RegionStrengths.All);
        using var without = pair.Transfer(new ClassicalMakeupEngine(new ClassicalEngineOptions { BlushAmount = 0 }), RegionStrengths.All);
        double target = pair.Flush(pair.Reference), before = pair.Flush(pair.Source);
        Assert.True(target - before > 4, $"the reference's cheeks are {target - before:F1} a* redder over its skin than the source's");
        double Moved(Mat output) => (pair.Flush(output) - before) / (target - before);
        Assert.True(Moved(with) >= 0.6, $"with blush: {Moved(with):P0} of the way");
        Assert.True(Math.Abs(Moved(without)) < 0.1, $"without: {Moved(without):P0}");
    }
}
