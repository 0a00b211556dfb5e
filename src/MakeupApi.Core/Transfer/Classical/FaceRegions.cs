using MakeupApi.FaceAnalysis.Parsing;
using OpenCvSharp;

namespace MakeupApi.Transfer.Classical;

/// <summary>
/// The makeup regions of one face crop as hard masks (CV_8UC1, 0/255), derived from its parsing labels. The masks
/// are disjoint. Owns its Mats.
/// </summary>
internal sealed class FaceRegions : IDisposable
{
    public required Mat Lips { get; init; }     // upper + lower lip
    public required Mat EyeBand { get; init; }  // eye-shadow band around both eyes, skin pixels only
    public required Mat Brows { get; init; }
    public required Mat Skin { get; init; }     // skin + nose, minus the eye band: where foundation goes
    public required Mat Cheeks { get; init; }   // the skin of both cheek zones (CheekZones), inside Skin: where blush goes
    public required Mat Protect { get; init; }  // eyeballs, mouth interior, glasses: never tinted

    public Mat this[MakeupRegion region] => region switch
    {
        MakeupRegion.Lips => Lips,
        MakeupRegion.Eyes => EyeBand,
        MakeupRegion.Brows => Brows,
        MakeupRegion.Skin => Skin,
        _ => throw new ArgumentOutOfRangeException(nameof(region)),
    };

    public void Dispose()
    {
        Lips.Dispose();
        EyeBand.Dispose();
        Brows.Dispose();
        Skin.Dispose();
        Cheeks.Dispose();
        Protect.Dispose();
    }

    /// <param name="labels">CelebAMask-HQ classes (<see cref="FaceLabel"/>).</param>
    /// <param name="ibug68">Landmarks in the same pixels, used for an eye the labels do not show (closed, occluded).</param>
    /// <param name="valid">Optional: pixels outside it are dropped from every region (a warped reference's holes).</param>
    public static FaceRegions Build(Mat labels, IReadOnlyList<Point2f>? ibug68, Mat? valid = null)
    {
        if (labels.Type() != MatType.CV_8UC1) throw new ArgumentException("Labels must be CV_8UC1.", nameof(labels));
        var created = new List<Mat>(5);
        try
        {
            var lips = Track(created, LipsMask(labels));
            var brows = Track(created, LabelMask(labels, FaceLabel.LeftBrow, FaceLabel.RightBrow));
            var skin = Track(created, LabelMask(labels, FaceLabel.Skin, FaceLabel.Nose));
            var protect = Track(created, LabelMask(labels, FaceLabel.LeftEye, FaceLabel.RightEye, FaceLabel.Mouth, FaceLabel.Glasses));
            var band = Track(created, EyeShadowBand(labels, ibug68));
            using (var notBand = new Mat())
            {
                Cv2.BitwiseNot(band, notBand);
                Cv2.BitwiseAnd(skin, notBand, skin);
            }
            var cheeks = Track(created, CheekZones(labels.Size(), ibug68));
            using (var plainSkin = LabelMask(labels, FaceLabel.Skin))
            {
                Cv2.BitwiseAnd(cheeks, plainSkin, cheeks);
                Cv2.BitwiseAnd(cheeks, skin, cheeks);
            }
            if (valid is not null)
            {
                foreach (var m in new[] { lips, brows, skin, band, cheeks })
                    Cv2.BitwiseAnd(m, valid, m);
            }
            return new FaceRegions { Lips = lips, EyeBand = band, Brows = brows, Skin = skin, Cheeks = cheeks, Protect = protect };
        }
        catch
        {
            foreach (var m in created) m.Dispose();
            throw;
        }

        static Mat Track(List<Mat> list, Mat m)
        {
            list.Add(m);
            return m;
        }
    }

    /// <summary>
    /// The eye-shadow band: per eye, the lid and socket up to the brow plus a margin under the lower lid, on skin only
    /// (so never the eyeball, the brow, hair or glasses). Its extent follows the shared region weights (Transfer/RegionWeights:
    /// an ellipse over the eye box grown by 60% of the eye width upwards and 25% downwards, 25% past each corner), so
    /// that the classical engine paints the area the service's colour measure looks at; the convex hull of the eye and
    /// its brow is added so a high brow's whole socket is covered. The eye boxes come from the eye labels (two largest
    /// blobs of classes 4+5, whatever their left/right naming), falling back to iBUG points 36-41 / 42-47.
    /// </summary>
    public static Mat EyeShadowBand(Mat labels, IReadOnlyList<Point2f>? ibug68)
    {
        var band = new Mat(labels.Size(), MatType.CV_8UC1, Scalar.All(0));
        int minBlob = Math.Max(4, labels.Width * labels.Height / 20000); // ~13 px at 512²: specks are parser noise
        var eyes = Blobs(labels, minBlob, FaceLabel.LeftEye, FaceLabel.RightEye);
        var browBlobs = Blobs(labels, minBlob, FaceLabel.LeftBrow, FaceLabel.RightBrow);
        {
            var eyeShapes = new List<Point[]>();
            if (eyes.Count >= 2) eyeShapes.AddRange(eyes.Take(2).Select(b => b.Points));
            else if (ibug68 is { Count: 68 })
            {
                eyeShapes.Add(ibug68.Skip(36).Take(6).Select(p => new Point((int)Math.Round(p.X), (int)Math.Round(p.Y))).ToArray());
                eyeShapes.Add(ibug68.Skip(42).Take(6).Select(p => new Point((int)Math.Round(p.X), (int)Math.Round(p.Y))).ToArray());
            }
            else eyeShapes.AddRange(eyes.Select(b => b.Points));

            foreach (var eye in eyeShapes)
            {
                var box = Cv2.BoundingRect(eye);
                float w = box.Width, h = box.Height;
                var centre = new Point2f(box.X + (w - 1) / 2f, box.Y + (h - 1) / 2f - 0.175f * w);
                Cv2.Ellipse(band, new RotatedRect(centre, new Size2f(w * 1.5f, h + w * 0.85f), 0), Scalar.All(255), -1);

                // The brow above this eye: the brow blob whose centroid is nearest the eye's centre, above it, within
                // two eye widths.
                var eyeCentre = new Point2f(box.X + w / 2f, box.Y + h / 2f);
                Blob? brow = null;
                double best = double.MaxValue;
                foreach (var b in browBlobs)
                {
                    if (b.Centroid.Y >= eyeCentre.Y) continue;
                    double d = b.Centroid.DistanceTo(eyeCentre);
                    if (d < best && d < 2 * w) { best = d; brow = b; }
                }
                if (brow is not null)
                {
                    var hull = Cv2.ConvexHull(eye.Concat(brow.Points));
                    Cv2.FillConvexPoly(band, hull, Scalar.All(255));
                }
            }
        }
        using var skin = LabelMask(labels, FaceLabel.Skin);
        Cv2.BitwiseAnd(band, skin, band);
        return band;
    }

    /// <summary>
    /// Where blush sits: per side, the cheek between the lower lid, the nose's wing, the mouth's corner and the jaw
    /// (iBUG 68 points 1, 36, 41, 40, 31, 48, 3, 2 on the image's left; 15, 45, 46, 47, 35, 54, 13, 14 on its right),
    /// filled as polygons (0/255). It stops at the mouth's corner: below it men's stubble and the jaw's shadow are no
    /// cheek colour. Empty without landmarks.
    /// </summary>
    public static Mat CheekZones(Size size, IReadOnlyList<Point2f>? ibug68)
    {
        var zones = new Mat(size, MatType.CV_8UC1, Scalar.All(0));
        if (ibug68 is not { Count: 68 }) return zones;
        int[][] sides = [[1, 36, 41, 40, 31, 48, 3, 2], [15, 45, 46, 47, 35, 54, 13, 14]];
        var polygons = sides.Select(side => side.Select(i => new Point((int)Math.Round(ibug68[i].X), (int)Math.Round(ibug68[i].Y))).ToArray());
        Cv2.FillPoly(zones, polygons, Scalar.All(255));
        return zones;
    }

    /// <summary>
    /// The face's vertical midline, the column between its cheeks: the mean column of the nose's bridge and tip (iBUG 27
    /// to 30), which lie between the cheeks whatever the head's turn, the crop being upright.
    /// </summary>
    public static float MidlineX(IReadOnlyList<Point2f> ibug68) => (ibug68[27].X + ibug68[28].X + ibug68[29].X + ibug68[30].X) / 4;

    /// <summary>
    /// A mask's two sides: copies of it with the columns from <paramref name="column"/> on cleared (left) and those
    /// before it cleared (right); the column is clipped to the mask. The caller owns both.
    /// </summary>
    public static (Mat Left, Mat Right) SplitAt(Mat mask, int column)
    {
        int split = Math.Clamp(column, 0, mask.Width);
        var left = mask.Clone();
        var right = mask.Clone();
        if (split < mask.Width) using (var part = left[new Rect(split, 0, mask.Width - split, mask.Height)]) part.SetTo(Scalar.All(0));
        if (split > 0) using (var part = right[new Rect(0, 0, split, mask.Height)]) part.SetTo(Scalar.All(0));
        return (left, right);
    }

    /// <summary>Upper and lower lip (0/255).</summary>
    public static Mat LipsMask(Mat labels) => LabelMask(labels, FaceLabel.UpperLip, FaceLabel.LowerLip);

    public static Mat LabelMask(Mat labels, params byte[] classes)
    {
        // A 256-entry lookup table marks the wanted classes in one pass.
        var table = new byte[256];
        foreach (var c in classes) table[c] = 255;
        using var lut = new Mat(1, 256, MatType.CV_8UC1);
        lut.SetArray(table); // copied into the Mat: no pinned managed buffer to outlive
        var mask = new Mat();
        Cv2.LUT(labels, lut, mask);
        return mask;
    }

    private sealed record Blob(Point[] Points, Point2f Centroid, int Area);

    /// <summary>Connected components of the given classes, largest first, each as its pixel outline points.</summary>
    private static List<Blob> Blobs(Mat labels, int minArea, params byte[] classes)
    {
        using var fullMask = LabelMask(labels, classes);
        var blobs = new List<Blob>();
        // Eyes and brows cover a few percent of the crop: label only their bounding box.
        var area = Cv2.BoundingRect(fullMask);
        if (area.Width == 0 || area.Height == 0) return blobs;
        using var mask = fullMask[area];
        using var components = new Mat();
        using var stats = new Mat();
        using var centroids = new Mat();
        int n = Cv2.ConnectedComponentsWithStats(mask, components, stats, centroids, PixelConnectivity.Connectivity8);
        for (int i = 1; i < n; i++)
        {
            int pixels = stats.At<int>(i, (int)ConnectedComponentsTypes.Area);
            if (pixels < minArea) continue;
            var box = new Rect(
                stats.At<int>(i, (int)ConnectedComponentsTypes.Left), stats.At<int>(i, (int)ConnectedComponentsTypes.Top),
                stats.At<int>(i, (int)ConnectedComponentsTypes.Width), stats.At<int>(i, (int)ConnectedComponentsTypes.Height));
            using var part = components[box];
            using var one = new Mat();
            Cv2.InRange(part, Scalar.All(i), Scalar.All(i), one);
            Cv2.FindContours(one, out Point[][] contours, out _, RetrievalModes.External,
                ContourApproximationModes.ApproxSimple, new Point(box.X + area.X, box.Y + area.Y));
            var points = contours.SelectMany(c => c).ToArray();
            if (points.Length == 0) continue;
            var centroid = new Point2f((float)centroids.At<double>(i, 0) + area.X, (float)centroids.At<double>(i, 1) + area.Y);
            blobs.Add(new Blob(points, centroid, pixels));
        }
        blobs.Sort((a, b) => b.Area.CompareTo(a.Area));
        return blobs;
    }
}

/// <summary>The regions the classical engine works on, matching <see cref="RegionStrengths"/>.</summary>
internal enum MakeupRegion { Lips, Eyes, Brows, Skin }
