using MakeupApi.FaceAnalysis.Landmarks;
using OpenCvSharp;

namespace MakeupApi.FaceAnalysis.Parsing;

/// <summary>
/// Lips and the open mouth from the photo. The mesh's lip lines are often off where makeup is heavy: dark or blue
/// lipstick makes the mesh open a closed mouth, and its lower lip line can sit well below the real one. Lip IoU on the
/// makeup set: 0.682 with the mesh's polygons, 0.732 with the colour model but the mesh's mouth opening (often wrong,
/// and it cuts the lips' middle out), 0.837 with the opening found from teeth and the cavity. That opening test, tuned on
/// the makeup set's mostly closed mouths, called 69% of the annotated opening of HELEN's open mouths in colour photos
/// lips, so their teeth got lipstick; since stop 47 it takes weaker evidence inside the mesh's own opening: 36%. In grey
/// photos it called 87% lips; since stop 46 they are decided by lightness: 35% (makeupapi-cli eval-mouth; README,
/// "Open mouths").
/// </summary>
internal static class LipRefiner
{
    /// <summary>
    /// Grid-searched on the makeup set: the prior's steep slope (24 per mouth width) and negative bias (-1 at the mesh's
    /// lip line) keep the mesh's shape unless the colour clearly disagrees.
    /// </summary>
    private static readonly RegionModel LipModel = new(Pad: 0.35f, RingIn: 0.06f, RingOut: 0.25f, PriorSlope: 24, PriorBias: -1, Smooth: 0.02f, PseudoCount: 1);

    public static void Refine(Mat bgr, Mat labels, IReadOnlyList<Point2f> mesh, bool findOpening)
    {
        var outer = MeshRegions.Points(mesh, MeshTopology.LipsOuter);
        var bounds = MeshRegions.Box(outer, 0, bgr.Size());
        float width = MeshRegions.Distance(mesh[61], mesh[291]);
        if (width < 6 || bounds.Width < 2 || bounds.Height < 1) return;
        var roi = MeshRegions.Box(outer, width * LipModel.Pad, bgr.Size());
        if (roi.Width < 8 || roi.Height < 8) return;
        var origin = new Point2f(roi.X, roi.Y);

        using var labelRoi = new Mat(labels, roi);
        using var prior = new Mat(roi.Size, MatType.CV_8UC1, Scalar.All(0));
        MeshRegions.Fill(prior, outer, 255, origin);
        using var skin = new Mat();
        Cv2.InRange(labelRoi, Scalar.All(FaceLabel.Skin), Scalar.All(FaceLabel.Skin), skin);
        using var image = new Mat(bgr, roi);
        using var lips = RegionSegmenter.Segment(image, prior, skin, width, LipModel);
        if (lips is null) return;

        // Only the face's skin and the mesh's lips and mouth may turn into lips (not the nostrils), and only the
        // blob(s) overlapping the mesh's lips: lip-coloured patches elsewhere in the box are blush or shadow.
        using var meshMouth = new Mat();
        Cv2.InRange(labelRoi, Scalar.All(FaceLabel.Mouth), Scalar.All(FaceLabel.LowerLip), meshMouth);
        using var allowed = new Mat();
        Cv2.BitwiseOr(skin, meshMouth, allowed);
        Cv2.BitwiseAnd(lips, allowed, lips);
        RegionSegmenter.KeepOverlapping(lips, prior);

        using var opening = findOpening ? FindOpening(image, lips, mesh, origin, width) : new Mat();
        if (!findOpening) Cv2.InRange(labelRoi, Scalar.All(FaceLabel.Mouth), Scalar.All(FaceLabel.Mouth), opening);
        Cv2.BitwiseAnd(opening, lips, opening);

        using var upperSide = new Mat(roi.Size, MatType.CV_8UC1, Scalar.All(0));
        FillAboveLipMidline(upperSide, mesh, origin);
        using var upper = new Mat();
        Cv2.BitwiseAnd(lips, upperSide, upper);

        labelRoi.SetTo(Scalar.All(FaceLabel.Skin), meshMouth);
        labelRoi.SetTo(Scalar.All(FaceLabel.LowerLip), lips);
        labelRoi.SetTo(Scalar.All(FaceLabel.UpperLip), upper);
        labelRoi.SetTo(Scalar.All(FaceLabel.Mouth), opening);
    }

    // The opening's rules, grid-searched on the makeup set's 36 labelled open mouths (lip IoU is what they serve).
    private const float NearInnerLine = 0.08f;     // candidates lie within 8% of the mouth's width of the mesh's inner lip line
    private const float TeethLighter = 5;          // teeth: L* (8-bit) above the lips' median by this much...
    private const float TeethChroma = 0.6f;        // ...and chroma below 0.6 of the lips' median chroma
    private const float CavityChroma = 0.7f;       // cavity: darker than the lips' median and chroma below 0.7 of theirs
    // Inside the mesh's own opening, where teeth and the cavity are expected, weaker evidence will do: teeth need only be
    // lighter than the lips' median and under 1.1 of their chroma, the cavity darker and under 0.85. Chosen in stop 47 on
    // the even half of HELEN's photos (makeupapi-cli eval-mouth --half even) by the least of the colour open mouths'
    // annotated opening parsed as lips while the makeup set's lip IoU stayed at least 0.830 and at most 6% of the
    // annotated lips turned mouth; that rule's pick (teeth chroma 1.2) sat on the IoU bound, so its neighbour was taken.
    // No makeup-set pair's landmarks then move over the 2% that TransferBehaviourTests holds them to.
    private const float InnerTeethLighter = 0;
    private const float InnerTeethChroma = 1.1f;
    private const float InnerCavityChroma = 0.85f;
    // A grey photo (a tenth of HELEN's) gives the lips no chroma to compare with (median under 3 of 8-bit Lab's
    // units), and every chroma test above fails: the whole mouth stayed lips. There lightness alone decides, by the same
    // 5-unit margin either way, and only inside the mesh's own opening, where lips seldom reach. Chosen in stop 46 on
    // the even half of HELEN with the settings above fixed.
    private const float GreyChroma = 3;
    private const float GreyMargin = 5;
    private const float MinThickness = 0.015f;     // opening radius that removes lines thinner than 3% of the mouth's width

    /// <summary>
    /// The open mouth (CelebAMask-HQ label 11: teeth, tongue and the dark cavity) inside the lips' blob: pixels near
    /// the mesh's inner lip line that are less saturated than the lips and either lighter (teeth) or darker (cavity).
    /// Lipstick is saturated while teeth and shadow are nearly grey. Where a closed mouth's lips meet there is a thin
    /// dark line the labels count as lips, so a morphological opening removes anything that thin. Inside the mesh's own
    /// opening the tests are weaker. In a grey photo, where nothing is saturated, lightness alone decides, and only there.
    /// </summary>
    private static Mat FindOpening(Mat bgr, Mat lips, IReadOnlyList<Point2f> mesh, Point2f origin, float width)
    {
        int h = bgr.Rows, w = bgr.Cols;
        var opening = new Mat(bgr.Size(), MatType.CV_8UC1, Scalar.All(0));
        // Near the inner line: its polygon plus a band round it (a closed mesh mouth has no area but still has a line).
        using var near = new Mat(bgr.Size(), MatType.CV_8UC1, Scalar.All(0));
        var inner = MeshRegions.Points(mesh, MeshTopology.LipsInner);
        MeshRegions.Fill(near, inner, 255, origin);
        using var innerArea = near.Clone();
        int band = Math.Max(1, (int)(width * NearInnerLine));
        var line = inner.Select(p => MeshRegions.Fixed(p, origin)).ToArray();
        Cv2.Polylines(near, [line], true, Scalar.All(255), 2 * band + 1, LineTypes.Link8, MeshRegions.Shift);

        // The lips' median lightness and chroma, from 256-bin histograms, over the whole blob.
        var (medianL, medianC, count) = LipMedians(bgr, lips);
        if (count < 20) return opening;
        bool grey = medianC < GreyChroma;
        if (grey)
        {
            // The blob also holds whatever the mouth shows, and a smile's teeth pull its median lightness toward
            // themselves; in a grey photo lightness is all there is, so it is measured on the lip ring outside the
            // mesh's inner lip line. A mouth the mesh keeps closed has no inner area, and its whole blob counts.
            using var ringMask = new Mat();
            Cv2.Subtract(lips, innerArea, ringMask);
            var ring = LipMedians(bgr, ringMask);
            if (ring.Count >= 20) medianL = ring.L;
        }

        var bgrRows = bgr.AsRows<Vec3b>();
        var lipRows = lips.AsRows<byte>();
        var innerRows = innerArea.AsRows<byte>();

        var nearRows = near.AsRows<byte>();
        var openRows = opening.AsRows<byte>();
        for (int y = 0; y < h; y++)
        {
            var px = bgrRows[y];
            var m = lipRows[y];
            var n = nearRows[y];
            var innerRow = innerRows[y];
            var o = openRows[y];
            for (int x = 0; x < w; x++)
            {
                if (m[x] == 0 || n[x] == 0) continue;
                float l = ColourHistogram.Lightness(px[x]), cr = ColourHistogram.Chroma(px[x]);
                bool inside = innerRow[x] != 0;
                bool teeth = grey
                    ? inside && l > medianL + GreyMargin
                    : l > medianL + (inside ? InnerTeethLighter : TeethLighter) && cr < medianC * (inside ? InnerTeethChroma : TeethChroma);
                bool cavity = grey
                    ? inside && l < medianL - GreyMargin
                    : l < medianL && cr < medianC * (inside ? InnerCavityChroma : CavityChroma);
                if (teeth || cavity) o[x] = 255;
            }
        }
        int r = (int)MathF.Round(width * MinThickness);
        if (r > 0)
        {
            using var kernel = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size(2 * r + 1, 2 * r + 1));
            Cv2.MorphologyEx(opening, opening, MorphTypes.Open, kernel);
            Cv2.MorphologyEx(opening, opening, MorphTypes.Close, kernel);
        }
        return opening;
    }

    /// <summary>Median L* and chroma (8-bit Lab units) of the pixels under <paramref name="mask"/>, and how many there were.</summary>
    private static (float L, float C, int Count) LipMedians(Mat bgr, Mat mask)
    {
        int h = bgr.Rows, w = bgr.Cols;
        var bgrRows = bgr.AsRows<Vec3b>();
        var maskRows = mask.AsRows<byte>();
        var lightness = new int[256];
        var chroma = new int[256];
        int count = 0;
        for (int y = 0; y < h; y++)
        {
            var px = bgrRows[y];
            var m = maskRows[y];
            for (int x = 0; x < w; x++)
            {
                if (m[x] == 0) continue;
                lightness[ColourHistogram.Lightness(px[x])]++;
                chroma[ColourHistogram.Chroma(px[x])]++;
                count++;
            }
        }
        return count == 0 ? (0, 0, 0) : (Median(lightness, count), Median(chroma, count), count);
    }

    private static float Median(int[] histogram, int count)
    {
        int half = count / 2, sum = 0;
        for (int i = 0; i < histogram.Length; i++)
            if ((sum += histogram[i]) > half) return i;
        return histogram.Length - 1;
    }

    /// <summary>
    /// Marks everything above the line where the lips meet (upper lip, label 12, above it; lower lip, 13, below): the
    /// midline between the mesh's upper and lower inner lip lines, continued past the corners out of the box.
    /// </summary>
    private static void FillAboveLipMidline(Mat target, IReadOnlyList<Point2f> mesh, Point2f origin)
    {
        var lower = MeshRegions.InnerLower;
        var upper = MeshRegions.InnerUpper;
        var mid = new List<Point2f>(lower.Length + 4);
        for (int i = 0; i < lower.Length; i++) mid.Add(MeshRegions.Lerp(mesh[lower[i]], mesh[upper[i]], 0.5f));
        float far = 2 * (target.Width + target.Height);
        Point2f Beyond(Point2f end, Point2f before)
        {
            float len = MeshRegions.Distance(end, before);
            return len < 1e-3f ? end : new Point2f(end.X + (end.X - before.X) / len * far, end.Y + (end.Y - before.Y) / len * far);
        }
        var start = Beyond(mid[0], mid[1]);
        var end = Beyond(mid[^1], mid[^2]);
        // Up means towards the forehead: away from the chin (152) across the midline.
        var up = mesh[10] - mesh[152];
        float ul = MathF.Max(1e-3f, MathF.Sqrt(up.X * up.X + up.Y * up.Y));
        var lift = new Point2f(up.X / ul * far, up.Y / ul * far);
        var polygon = new List<Point2f> { start + lift, start };
        polygon.AddRange(mid);
        polygon.Add(end);
        polygon.Add(end + lift);
        MeshRegions.Fill(target, polygon, 255, origin);
    }
}
