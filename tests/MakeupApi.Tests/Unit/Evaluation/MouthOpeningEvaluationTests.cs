using MakeupApi.Evaluation;
using MakeupApi.FaceAnalysis.Parsing;
using OpenCvSharp;

namespace MakeupApi.Tests.Unit.Evaluation;

public sealed class MouthOpeningEvaluationTests
{
    /// <summary>
    /// 68 points whose mouth is a 100 px wide box: outer lips (48-59) from y 80 to 120, inner lips (60-67) from y 92 to
    /// 108, all between x 50 and 150. The other 48 points do not take part. The gap pairs 61-67, 62-66 and 63-65 are
    /// not vertical here: (75,92)-(50,108), (100,92)-(75,108) and (150,92)-(100,108).
    /// </summary>
    private static Point2f[] BoxMouth()
    {
        var p = new Point2f[68];
        for (int i = 0; i < 48; i++) p[i] = new Point2f(10, 10);
        // outer: 48 left corner, 49-53 along the top, 54 right corner, 55-59 back along the bottom
        p[48] = new(50, 100); p[49] = new(50, 80); p[50] = new(75, 80); p[51] = new(100, 80); p[52] = new(125, 80); p[53] = new(150, 80);
        p[54] = new(150, 100); p[55] = new(150, 120); p[56] = new(125, 120); p[57] = new(100, 120); p[58] = new(75, 120); p[59] = new(50, 120);
        // inner: a box as well, 60-63 along the top, 64-67 back along the bottom
        p[60] = new(50, 92); p[61] = new(75, 92); p[62] = new(100, 92); p[63] = new(150, 92);
        p[64] = new(150, 108); p[65] = new(100, 108); p[66] = new(75, 108); p[67] = new(50, 108);
        return p;
    }

    [Fact]
    public void An_opening_parsed_as_lips_counts_as_painted_and_the_gap_is_relative_to_the_mouth_width()
    {
        using var labels = new Mat(200, 200, MatType.CV_8UC1, Scalar.All(FaceLabel.Skin));
        labels[new Rect(50, 80, 101, 41)].SetTo(Scalar.All(FaceLabel.LowerLip));

        var m = MouthOpeningEvaluation.Measure(labels, BoxMouth());

        double gap = (2 * Math.Sqrt(25 * 25 + 16 * 16) + Math.Sqrt(50 * 50 + 16 * 16)) / 3;
        Assert.Equal(gap / 100, m.Gap, 6);
        Assert.Equal(1.0, m.LipsOnOpening, 6);
        Assert.Equal(0.0, m.MouthOnOpening, 6);
        Assert.Equal(0.0, m.MouthOnLips, 6);
    }

    [Fact]
    public void An_opening_parsed_as_mouth_counts_as_kept_and_mouth_on_the_lip_ring_counts_as_lip_lost()
    {
        using var labels = new Mat(200, 200, MatType.CV_8UC1, Scalar.All(FaceLabel.Skin));
        labels[new Rect(50, 80, 101, 41)].SetTo(Scalar.All(FaceLabel.UpperLip));
        // the mouth label covers the opening and spills 4 rows above it into the upper lip
        labels[new Rect(50, 88, 101, 21)].SetTo(Scalar.All(FaceLabel.Mouth));

        var m = MouthOpeningEvaluation.Measure(labels, BoxMouth());

        Assert.Equal(0.0, m.LipsOnOpening, 6);
        Assert.Equal(1.0, m.MouthOnOpening, 6);
        // lip ring: 101 x 41 outer minus 101 x 17 inner = 2424 px; the spill: 101 x 4 = 404 px
        Assert.Equal(404.0 / 2424.0, m.MouthOnLips, 6);
    }
}
