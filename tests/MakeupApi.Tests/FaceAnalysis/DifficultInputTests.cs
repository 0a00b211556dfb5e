using MakeupApi.Evaluation;
using MakeupApi.FaceAnalysis;
using MakeupApi.Imaging;
using MakeupApi.Tests.Imaging;
using MakeupApi.Tests.Support;
using OpenCvSharp;
using Xunit.Abstractions;

namespace MakeupApi.Tests.FaceAnalysis;

/// <summary>
/// Photos that are hard or odd, each with a defined outcome. Inputs go through ImageCodec.Decode, as uploads do.
/// </summary>
[Collection(ModelCollection.Name)]
public sealed class DifficultInputTests(ModelFixture models, ITestOutputHelper output)
{
    private static readonly ImageLimits Limits = new();

    /// <summary>A 332x332 studio portrait (shared makeup set), face box about 257 px.</summary>
    private static Mat Portrait() => TestPhotos.Read(TestPhotos.MakeupSet("non-makeup")[0]);

    private IReadOnlyList<FaceLandmarks> FindInUpload(byte[] upload)
    {
        using var decoded = ImageCodec.Decode(upload, Limits, "source");
        return models.Analyzer.FindFaces(decoded);
    }

    [Fact]
    public void Photo_without_a_face_gives_an_empty_list()
    {
        using var flat = new Mat(480, 640, MatType.CV_8UC3, new Scalar(128, 128, 128));
        using var noise = new Mat(480, 640, MatType.CV_8UC3);
        Cv2.Randn(noise, Scalar.All(128), Scalar.All(40));
        // Real scenes without people: the wall with posters of face-api's sample1, the window of sample3.
        using var sample1 = TestPhotos.Read(TestPhotos.FaceApiSample(1));
        using var sample3 = TestPhotos.Read(TestPhotos.FaceApiSample(3));
        using var wall = sample1[new Rect(0, 0, 400, 330)].Clone();
        using var window = sample3[new Rect(1400, 0, 520, 200)].Clone();
        foreach (var (name, image) in new[] { ("flat", flat), ("noise", noise), ("wall", wall), ("window", window) })
            Assert.True(models.Analyzer.FindFaces(image).Count == 0, $"a face was found in the {name} image");
    }

    [Fact]
    public void Face_below_min_face_size_is_still_found_so_the_caller_can_report_it_too_small()
    {
        // FindFaces reports faces of any size; refusing those under DetectorOptions.MinFaceSize (40 px box side) as
        // FaceTooSmall is the pipeline's rule. This pins down that a small face is found (not silently dropped) and how
        // small the detector goes in an upload-sized photo: the portrait shrunk into a 128x128 frame (MinSide is 64).
        using var portrait = Portrait();
        double smallestFound = double.MaxValue;
        foreach (int side in new[] { 64, 48, 40, 32, 24, 16 })
        {
            using var canvas = PasteCentred(portrait, side, 128);
            var faces = models.Analyzer.FindFaces(canvas);
            output.WriteLine($"portrait at {side} px in 128x128: {(faces.Count == 0 ? "no face" : $"box {faces[0].Detection.Box.Width:F1} px")}");
            if (faces.Count > 0) smallestFound = Math.Min(smallestFound, faces[0].Detection.Box.Width);
            if (side == 64) Assert.True(faces.Count == 1 && faces[0].Detection.Box.Width >= models.Options.MinFaceSize);
            if (side == 40) Assert.True(faces.Count == 1 && faces[0].Detection.Box.Width < models.Options.MinFaceSize,
                "a ~31 px face should be found, with a box under MinFaceSize");
        }
        output.WriteLine($"smallest face found: box {smallestFound:F1} px; MinFaceSize {models.Options.MinFaceSize} px");
    }

    [Fact]
    public void Small_face_in_a_large_photo_is_found_down_to_about_16_px_in_the_detector_frame()
    {
        // The detector sees the whole photo letterboxed to 256x256, so what counts is the face's share of the photo: the
        // 257 px face in a 4000x4000 photo is 16.5 px in that frame. (Measured: still found at 10.5 px, a 6300 px photo.)
        using var portrait = Portrait();
        using var large = PasteCentred(portrait, portrait.Width, 4000);
        var faces = models.Analyzer.FindFaces(large);
        Assert.Single(faces);
        Assert.InRange(faces[0].Detection.Box.Width, 180, 320);
    }

    [Fact]
    public void Face_a_quarter_outside_the_frame_is_found_with_its_hidden_points_outside_the_image()
    {
        // The mesh crop replicates the border pixels; the mesh still places the hidden part of the face beyond the
        // frame (x < 0), and the visible points keep their accuracy.
        foreach (var name in new[] { "100032540_1", "1002681492_1" })
        {
            var (faces, truth, iod) = CutLeft(name, 0.25);
            var face = Assert.Single(faces);
            var visible = Enumerable.Range(0, 68).Where(i => truth[i].X >= 0).ToList();
            double nme = visible.Average(i => face.Ibug68[i].DistanceTo(truth[i])) / iod;
            output.WriteLine($"{name} a quarter cut: NME on the {visible.Count} visible points {nme:P1}, leftmost point x = {face.Ibug68.Min(p => p.X):F0}");
            Assert.True(nme < 0.08, $"visible-point NME {nme:P1}");
            Assert.Contains(face.Ibug68, p => p.X < 0);
        }
    }

    [Fact]
    public void Face_half_outside_the_frame_is_either_not_found_or_found_reaching_past_the_border()
    {
        // Measured on HELEN: with half the face cut off, the detector finds some faces and not others; when it does,
        // the landmarks run past the border, so a caller can tell the face is cut (x < 0). With 70% cut off: never found.
        foreach (var name in new[] { "100032540_1", "100040721_1" })
        {
            var (half, _, _) = CutLeft(name, 0.5);
            output.WriteLine($"{name} half cut: {half.Count} face(s)");
            Assert.True(half.Count == 0 || half.All(f => f.Ibug68.Min(p => p.X) < 0));
            var (most, _, _) = CutLeft(name, 0.7);
            Assert.Empty(most);
        }
    }

    [Fact]
    public void Grayscale_16_bit_and_alpha_pngs_of_a_face_are_analysed()
    {
        using var portrait = Portrait();
        using var gray = portrait.CvtColor(ColorConversionCodes.BGR2GRAY);
        using var deep = new Mat();
        portrait.ConvertTo(deep, MatType.CV_16UC3, 257);
        using var bgra = portrait.CvtColor(ColorConversionCodes.BGR2BGRA);
        bgra[new Rect(0, 0, bgra.Width, 40)].SetTo(new Scalar(0, 0, 0, 0)); // a transparent band at the top

        var reference = models.Analyzer.FindFaces(portrait)[0];
        foreach (var (name, image) in new[] { ("grayscale", gray), ("16-bit", deep), ("alpha", bgra) })
        {
            var face = Assert.Single(FindInUpload(image.ImEncode(".png")));
            double shift = face.Ibug68.Zip(reference.Ibug68, (a, b) => a.DistanceTo(b)).Average() / reference.OuterEyeDistance;
            output.WriteLine($"{name}: mean landmark shift from the colour photo {shift:P2} of the eye distance");
            Assert.True(shift < 0.03, $"{name}: landmarks moved {shift:P2}");
        }
    }

    [Fact]
    public void Exif_orientation_6_photo_is_decoded_upright_and_face_found()
    {
        // A phone held sideways stores the pixels rotated and says "rotate 90 clockwise to view" (Orientation 6).
        using var upright = Portrait();
        using var stored = new Mat();
        Cv2.Rotate(upright, stored, RotateFlags.Rotate90Counterclockwise);
        var jpeg = JpegExif.WithOrientation(stored.ImEncode(".jpg", new ImageEncodingParam(ImwriteFlags.JpegQuality, 95)), 6, bigEndian: true);

        using var decoded = ImageCodec.Decode(jpeg, Limits, "source");
        Assert.Equal(upright.Size(), decoded.Size());
        using var diff = new Mat();
        Cv2.Absdiff(decoded, upright, diff);
        Assert.True(Cv2.Mean(diff).Val0 < 4, "the decoded photo is not the upright one");

        var face = Assert.Single(models.Analyzer.FindFaces(decoded));
        double rollDegrees = Math.Atan2(face.Ibug68[45].Y - face.Ibug68[36].Y, face.Ibug68[45].X - face.Ibug68[36].X) * 180 / Math.PI;
        Assert.InRange(rollDegrees, -15, 15); // eyes level: the face is upright, not on its side
    }

    [Fact]
    public void Face_in_a_4000x4000_upscaled_photo_is_found()
    {
        using var portrait = Portrait();
        using var big = portrait.Resize(new Size(4000, 4000), 0, 0, InterpolationFlags.Cubic);
        var faces = FindInUpload(big.ImEncode(".jpg", new ImageEncodingParam(ImwriteFlags.JpegQuality, 90)));
        var face = Assert.Single(faces);
        var reference = models.Analyzer.FindFaces(portrait)[0];
        double scale = 4000.0 / portrait.Width;
        Assert.InRange(face.OuterEyeDistance / (reference.OuterEyeDistance * scale), 0.95, 1.05);
    }

    /// <summary>The HELEN photo with the left part of the annotated face cut away (fraction of the landmarks' width).</summary>
    private (IReadOnlyList<FaceLandmarks> Faces, Point2f[] Truth, double Iod) CutLeft(string name, double fraction)
    {
        var annotated = HelenDataset.ReadPts(Path.ChangeExtension(TestPhotos.Helen(name), ".pts"), 1.0);
        using var photo = TestPhotos.Read(TestPhotos.Helen(name));
        float left = annotated.Min(p => p.X), right = annotated.Max(p => p.X);
        int x0 = (int)(left + fraction * (right - left));
        using var cut = photo[new Rect(x0, 0, photo.Width - x0, photo.Height)].Clone();
        var truth = annotated.Select(p => new Point2f(p.X - x0, p.Y)).ToArray();
        // Only the annotated face counts (HELEN photos can show other people).
        var faces = models.Analyzer.FindFaces(cut)
            .Where(f => DetectionMatching.ForAnnotation([f.Detection], truth) is not null || f.Detection.Box.Contains(truth[30]))
            .ToList();
        return (faces, truth, annotated[36].DistanceTo(annotated[45]));
    }

    private static Mat PasteCentred(Mat photo, int side, int canvasSide)
    {
        var canvas = new Mat(canvasSide, canvasSide, MatType.CV_8UC3, new Scalar(128, 128, 128));
        using var scaled = photo.Resize(new Size(side, side), 0, 0, InterpolationFlags.Area);
        scaled.CopyTo(canvas[new Rect((canvasSide - side) / 2, (canvasSide - side) / 2, side, side)]);
        return canvas;
    }
}
