using MakeupApi.FaceAnalysis.Landmarks;
using OpenCvSharp;

namespace MakeupApi.FaceAnalysis.Parsing;

/// <summary>
/// The forehead from the photo. The mesh's face oval stops about mid-forehead, while CelebAMask-HQ's skin runs up to
/// the hairline: 0 to 19% of the face's height (vertex 10 to 152) above vertex 10 on the makeup set, median 7%. Hair
/// or a fringe can also cover part of the oval. Above the eyes, pixels of the oval and of a zone stretched above it
/// are scored by a skin-against-surroundings colour ratio (<see cref="ColourHistogram"/>) plus a prior that trusts the
/// oval and is neutral to slightly negative in the zone; what stays connected to the face's skin is skin.
/// Skin IoU on the makeup set: 0.814 with the polygons, 0.800 removing hair alone (with the oval's own edge as the
/// boundary, the surroundings ring is mostly skin-coloured forehead, so removal alone mostly costs), 0.865 growing
/// alone, 0.877 with both.
/// </summary>
internal static class ForeheadRefiner
{
    private const float Grow = 0.2f;            // the zone reaches 20% of the face's height above the oval's top
    private const float Ring = 0.08f;           // surroundings sampled up to 8% of the face's height beyond the zone
    private const float InsideBias = 1f;        // prior inside the oval: +1, rising 8 per face height inwards
    private const float InsideSlope = 8f;
    private const float ZoneBias = -1f;         // prior in the zone: -1, falling 4 per face height away from the oval
    private const float ZoneSlope = 4f;
    private const float Smooth = 0.01f;         // score blur, sigma as a fraction of the face's height
    private const float PseudoCount = 1f;

    /// <summary>
    /// The work is done at a whole-number reduction that brings the face near this many pixels tall (never enlarged):
    /// the hairline is a soft edge, and a 512x512 crop's upper face at full size is about nine times the pixels.
    /// </summary>
    private const float WorkingHeight = 128f;

    public static void Refine(Mat bgr, Mat labels, IReadOnlyList<Point2f> mesh, bool removeHair, bool grow)
    {
        var top = mesh[10];
        var chin = mesh[152];
        float height = MeshRegions.Distance(top, chin);
        if (height < 16) return;
        var up = new Point2f((top.X - chin.X) / height, (top.Y - chin.Y) / height);
        float Level(Point2f p) => (p.X - chin.X) * up.X + (p.Y - chin.Y) * up.Y;
        // Only the face above the eyes' corners changes; below it the mesh stands.
        float eyeLevel = (Level(mesh[33]) + Level(mesh[133]) + Level(mesh[263]) + Level(mesh[362])) / 4;
        float topLevel = Level(top);
        float noseLevel = Level(mesh[1]);
        if (topLevel - eyeLevel < 4) return;

        // The oval's vertices above the eye line, pushed up in proportion to their height above it. The working box
        // reaches down to the nose tip, where the skin samples come from.
        var oval = MeshRegions.Points(mesh, MeshTopology.FaceOval);
        var zone = new Point2f[oval.Length];
        float lift = grow ? Grow * height : 0;
        var upper = new List<Point2f>();
        for (int i = 0; i < oval.Length; i++)
        {
            float t = Math.Clamp((Level(oval[i]) - eyeLevel) / (topLevel - eyeLevel), 0, 1);
            zone[i] = new Point2f(oval[i].X + up.X * lift * t, oval[i].Y + up.Y * lift * t);
            if (Level(oval[i]) >= noseLevel) upper.Add(zone[i]);
        }
        upper.Add(mesh[1]);
        float ring = Ring * height;
        var box = MeshRegions.Box(upper, ring, bgr.Size());
        // A whole number of source pixels per working pixel, so the box maps onto the small grid exactly. Bilinear
        // shrinking: at 2x it is the 2x2 mean, and cv::resize's area mode took ~1 ms on a crop's forehead box.
        int factor = Math.Max(1, (int)MathF.Round(height / WorkingHeight));
        var roi = new Rect(box.X, box.Y, box.Width / factor * factor, box.Height / factor * factor);
        if (roi.Width < 8 * factor || roi.Height < 8 * factor) return;
        var small = new Size(roi.Width / factor, roi.Height / factor);
        float scale = 1f / factor;
        // Into the small box, pixel centres map as (p - roi + 0.5) / factor - 0.5, as cv::resize maps them: (p - origin) * scale.
        var origin = new Point2f(roi.X - 0.5f + 0.5f * factor, roi.Y - 0.5f + 0.5f * factor);
        using var ovalMask = new Mat(small, MatType.CV_8UC1, Scalar.All(0));
        MeshRegions.Fill(ovalMask, oval, 255, origin, scale);
        using var zoneMask = new Mat(small, MatType.CV_8UC1, Scalar.All(0));
        MeshRegions.Fill(zoneMask, zone, 255, origin, scale);
        Cv2.BitwiseOr(zoneMask, ovalMask, zoneMask);
        using var ovalDistance = RegionSegmenter.SignedDistance(ovalMask);
        using var zoneDistance = RegionSegmenter.SignedDistance(zoneMask);
        using var image = new Mat(bgr, roi);
        using var smallImage = image.Resize(small, 0, 0, InterpolationFlags.Linear);
        using var labelRoi = new Mat(labels, roi);
        using var smallLabels = labelRoi.Resize(small, 0, 0, InterpolationFlags.Nearest);

        // Above the eye line, as a mask: the half-plane beyond the line through the eye corners' mean level.
        using var aboveSmall = new Mat(small, MatType.CV_8UC1, Scalar.All(0));
        FillAbove(aboveSmall, chin, up, eyeLevel, origin, scale);
        int h = small.Height, w = small.Width;
        float ringSmall = ring * scale;
        // Skin samples from the cheeks and temples between the nose tip and the eyes, where hair rarely is: a fringe
        // over the forehead would otherwise teach the skin model that hair is skin (skin IoU 0.8764 sampling the
        // forehead, 0.8820 sampling here).
        using var skinSamples = new Mat();
        Cv2.InRange(smallLabels, Scalar.All(FaceLabel.Skin), Scalar.All(FaceLabel.Skin), skinSamples);
        using (var band = new Mat(small, MatType.CV_8UC1, Scalar.All(0)))
        {
            FillAbove(band, chin, up, noseLevel, origin, scale);
            Cv2.BitwiseXor(band, aboveSmall, band);
            Cv2.BitwiseAnd(skinSamples, band, skinSamples);
        }
        using var otherSamples = new Mat();
        Cv2.InRange(zoneDistance, Scalar.All(-ringSmall), Scalar.All(0), otherSamples);
        Cv2.BitwiseAnd(otherSamples, aboveSmall, otherSamples);
        var bins = ColourHistogram.BinIndex(smallImage);
        var ratio = ColourHistogram.LogRatio(bins, skinSamples, otherSamples, PseudoCount, minSamples: 20);
        if (ratio is null) return;

        using var score = new Mat(small, MatType.CV_32FC1);
        float inSlope = InsideSlope / (height * scale), zoneSlope = ZoneSlope / (height * scale);
        var scoreRows = score.AsRows<float>();
        var ovalRows = ovalDistance.AsRows<float>();
        var zoneRows = zoneDistance.AsRows<float>();
        for (int y = 0; y < h; y++)
        {
            var s = scoreRows[y];
            var dOval = ovalRows[y];
            var dZone = zoneRows[y];
            int row = y * w;
            for (int x = 0; x < w; x++)
            {
                float prior;
                if (dOval[x] > 0) prior = removeHair ? InsideBias + inSlope * dOval[x] : 100;
                else if (dZone[x] > 0) prior = grow ? ZoneBias + zoneSlope * dOval[x] : -100;
                else prior = -100;
                s[x] = ratio[bins[row + x]] + prior;
            }
        }
        Cv2.GaussianBlur(score, score, new Size(0, 0), Math.Max(0.5, height * scale * Smooth));
        using var skin = new Mat();
        Cv2.Threshold(score, score, 0, 255, ThresholdTypes.Binary);
        score.ConvertTo(skin, MatType.CV_8UC1);
        // Below the eye line the mesh's skin stands (it carries the connection to the rest of the face); above it only
        // skin and background may change hands.
        using (var fixedSkin = new Mat())
        using (var free = new Mat())
        using (var other = new Mat())
        {
            Cv2.InRange(smallLabels, Scalar.All(FaceLabel.Background), Scalar.All(FaceLabel.Skin), free);
            Cv2.BitwiseAnd(free, aboveSmall, free);
            Cv2.BitwiseAnd(skin, free, skin);
            Cv2.InRange(smallLabels, Scalar.All(FaceLabel.Skin), Scalar.All(FaceLabel.Skin), fixedSkin);
            Cv2.BitwiseNot(aboveSmall, other);
            Cv2.BitwiseAnd(fixedSkin, other, fixedSkin);
            Cv2.BitwiseOr(skin, fixedSkin, skin);
        }
        using (var core = new Mat())
        {
            Cv2.Erode(ovalMask, core, null, iterations: 2);
            RegionSegmenter.KeepOverlapping(skin, core);
        }

        // Back to full size, smoothly, and applied above the eye line: skin that is not becomes background, and
        // background that is becomes skin. Only the box round the small grid's changes is touched at full size.
        using var changed = new Mat();
        using (var skinNow = new Mat())
        using (var free = new Mat())
        {
            Cv2.InRange(smallLabels, Scalar.All(FaceLabel.Skin), Scalar.All(FaceLabel.Skin), skinNow);
            Cv2.BitwiseXor(skinNow, skin, changed);
            Cv2.InRange(smallLabels, Scalar.All(FaceLabel.Background), Scalar.All(FaceLabel.Skin), free);
            Cv2.BitwiseAnd(changed, free, changed);
        }
        var region = Cv2.BoundingRect(changed);
        if (region.Width == 0) return;
        // One working pixel of margin: bilinear enlargement reaches half a working pixel past a change.
        region = new Rect(region.X - 1, region.Y - 1, region.Width + 2, region.Height + 2) & new Rect(0, 0, w, h);
        var fullRegion = new Rect(region.X * factor, region.Y * factor, region.Width * factor, region.Height * factor);
        // Enlarging the region alone matches enlarging the whole box: pixel centres map the same way, and the margin
        // keeps the region's own border out of the result that matters.
        using var smallPart = new Mat(skin, region);
        using var fullPart = new Mat();
        Cv2.Resize(smallPart, fullPart, fullRegion.Size, 0, 0, InterpolationFlags.Linear);
        Cv2.Threshold(fullPart, fullPart, 127, 255, ThresholdTypes.Binary);
        using var labelPart = new Mat(labelRoi, fullRegion);
        using var above = new Mat(fullRegion.Size, MatType.CV_8UC1, Scalar.All(0));
        FillAbove(above, chin, up, eyeLevel, new Point2f(roi.X + fullRegion.X, roi.Y + fullRegion.Y), 1f);
        using var change = new Mat();
        using var current = new Mat();
        using var allowed = new Mat();
        Cv2.InRange(labelPart, Scalar.All(FaceLabel.Skin), Scalar.All(FaceLabel.Skin), current);
        Cv2.BitwiseXor(current, fullPart, change);      // skin now but not after, or after but not now...
        Cv2.InRange(labelPart, Scalar.All(FaceLabel.Background), Scalar.All(FaceLabel.Skin), allowed);
        Cv2.BitwiseAnd(change, allowed, change);        // ...among skin and background pixels only...
        Cv2.BitwiseAnd(change, above, change);          // ...above the eye line
        Cv2.BitwiseAnd(change, fullPart, current);
        labelPart.SetTo(Scalar.All(FaceLabel.Background), change);
        labelPart.SetTo(Scalar.All(FaceLabel.Skin), current);
    }

    /// <summary>Fills the part of <paramref name="target"/> (origin at <paramref name="origin"/>, pixels scaled by <paramref name="scale"/>) whose level along <paramref name="up"/> from <paramref name="chin"/> is at least <paramref name="level"/>.</summary>
    private static void FillAbove(Mat target, Point2f chin, Point2f up, float level, Point2f origin, float scale)
    {
        // A big rectangle whose lower edge is the level line: two points on the line, two far beyond it.
        var onLine = new Point2f(chin.X + up.X * level, chin.Y + up.Y * level);
        var along = new Point2f(-up.Y, up.X);
        float far = (target.Width + target.Height) / scale * 2 + MeshRegions.Distance(onLine, origin);
        var polygon = new[]
        {
            onLine - along * far, onLine + along * far,
            onLine + along * far + up * far, onLine - along * far + up * far,
        };
        MeshRegions.Fill(target, polygon, 255, origin, scale);
    }
}
