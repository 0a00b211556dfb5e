using MakeupApi.FaceAnalysis.Detection;
using MakeupApi.FaceAnalysis.Landmarks;
using MakeupApi.Onnx;
using MakeupApi.Tests.Support;
using Microsoft.ML.OnnxRuntime;
using OpenCvSharp;
using Xunit.Abstractions;

namespace MakeupApi.Tests.FaceAnalysis;

/// <summary>
/// The ONNX conversions against the original tfjs models, on the same real-photo inputs: every output of every model
/// must agree within 1e-3 (absolute). One node call per model carries all the inputs of that model.
/// </summary>
[Collection(ModelCollection.Name)]
public sealed class OnnxTfjsEquivalenceTests(ModelFixture models, ITestOutputHelper output)
{
    private const float Tolerance = 1e-3f;

    // A single-face studio photo, a HELEN photo and a multi-face party photo: different faces, lighting and scale.
    private static IEnumerable<string> Photos() =>
        [TestPhotos.MakeupSet("non-makeup")[0], TestPhotos.Helen("100032540_1"), TestPhotos.FaceApiSample(1)];

    [Fact]
    public void Onnx_detector_matches_tfjs_within_1e_3()
    {
        // The whole photo letterboxed into 256x256, scaled to [-1, 1] (manifest "normalisation").
        var inputs = Photos().Select(path =>
        {
            using var photo = TestPhotos.Read(path);
            using var letterbox = Letterbox(photo, BlazeFaceDetector.InputSize);
            return ToTensor(letterbox, 1 / 127.5f, -1f);
        }).ToList();
        Compare("blazeface-back", models.Models.Detector, [1, 256, 256, 3], inputs);
    }

    [Fact]
    public void Onnx_face_mesh_matches_tfjs_within_1e_3()
    {
        // The detector's 192x192 face crop of each photo, scaled to [0, 1].
        var inputs = Photos().Select(path =>
        {
            using var photo = TestPhotos.Read(path);
            var face = models.Detector.Detect(photo)[0];
            using var toCrop = FaceMeshModel.RoiFromDetection(face).ToCropTransform(FaceMeshModel.InputSize);
            using var crop = new Mat();
            Cv2.WarpAffine(photo, crop, toCrop, new Size(FaceMeshModel.InputSize, FaceMeshModel.InputSize), InterpolationFlags.Linear, BorderTypes.Replicate);
            return ToTensor(crop, 1 / 255f, 0f);
        }).ToList();
        Compare("facemesh", models.Models.FaceMesh, [1, 192, 192, 3], inputs);
    }

    [Fact]
    public void Onnx_iris_matches_tfjs_within_1e_3()
    {
        // Both 64x64 eye crops of each photo's first face as one batch of 2 (right eye as is, left eye mirrored).
        var inputs = Photos().Select<string, float[]>(path =>
        {
            using var photo = TestPhotos.Read(path);
            var mesh = models.Mesh.Run(photo, models.Detector.Detect(photo)[0], models.Options.MeshPasses).Points;
            var (right, left) = IrisModel.CropEyes(photo, mesh);
            using (right)
            using (left)
                return [.. ToTensor(right, 1 / 255f, 0f), .. ToTensor(left, 1 / 255f, 0f)];
        }).ToList();
        Compare("iris", models.Models.Iris, [2, 64, 64, 3], inputs);
    }

    private void Compare(string model, string file, int[] shape, IReadOnlyList<float[]> inputs)
    {
        var reference = TfjsReference.Run(model, shape, inputs);
        Assert.Equal(inputs.Count, reference.Count);

        using var onnx = new OnnxModel(model, models.Models.Resolve(file), models.Models);
        var names = onnx.Session.OutputMetadata.Keys.ToArray();
        Assert.Equal(names.Order(), reference[0].Keys.Order()); // same outputs under the same stable names
        var worst = names.ToDictionary(n => n, _ => 0.0);
        var worstRaw = names.ToDictionary(n => n, _ => 0.0);
        for (int i = 0; i < inputs.Count; i++)
        {
            using var input = OrtValue.CreateTensorValueFromMemory(inputs[i], shape.Select(d => (long)d).ToArray());
            using var outputs = onnx.Run([onnx.Session.InputMetadata.Keys.Single()], [input], names);
            for (int k = 0; k < names.Length; k++)
            {
                var actual = outputs[k].GetTensorDataAsSpan<float>();
                var expected = reference[i][names[k]];
                Assert.Equal(expected.Length, actual.Length);
                var compared = AsDecoded(model, names[k]);
                for (int j = 0; j < expected.Length; j++)
                {
                    worstRaw[names[k]] = Math.Max(worstRaw[names[k]], Math.Abs(actual[j] - expected[j]));
                    worst[names[k]] = Math.Max(worst[names[k]], Math.Abs(compared(actual[j]) - compared(expected[j])));
                }
            }
        }
        foreach (var name in names)
            output.WriteLine($"{model} {name}: max |onnx - tfjs| = {worst[name]:E2}" +
                (worst[name] != worstRaw[name] ? $" as scores (raw logits {worstRaw[name]:E2})" : "") + $", over {inputs.Count} inputs");
        Assert.All(worst, w => Assert.True(w.Value <= Tolerance, $"{model} output {w.Key} differs from tfjs by {w.Value:E2} (> {Tolerance:E0})."));
    }

    /// <summary>
    /// How the decoder reads an output. The detector's score logits are compared as scores, sigmoid(clip(logit, +-100))
    /// (BlazeFaceDetector.Collect, after MediaPipe): background anchors have logits down to about -2000, where float32
    /// resolution is 1.2e-4 and summation order alone moves the raw value by ~1e-3 without changing any score.
    /// Every other output is compared raw.
    /// </summary>
    private static Func<double, double> AsDecoded(string model, string output) =>
        model == "blazeface-back" && output.StartsWith("classificators", StringComparison.Ordinal)
            ? x => 1 / (1 + Math.Exp(-Math.Clamp(x, -100, 100)))
            : x => x;

    private static Mat Letterbox(Mat photo, int size)
    {
        double scale = (double)size / Math.Max(photo.Width, photo.Height);
        using var resized = photo.Resize(new Size(Math.Round(photo.Width * scale), Math.Round(photo.Height * scale)), 0, 0, InterpolationFlags.Area);
        var letterbox = new Mat(size, size, MatType.CV_8UC3, Scalar.Black);
        resized.CopyTo(letterbox[new Rect((size - resized.Width) / 2, (size - resized.Height) / 2, resized.Width, resized.Height)]);
        return letterbox;
    }

    private static float[] ToTensor(Mat bgr, float scale, float offset)
    {
        var values = new float[bgr.Width * bgr.Height * 3];
        ImageTensor.FillRgb(bgr, values, scale, offset);
        return values;
    }
}
