using MakeupApi.Onnx;
using OpenCvSharp;

namespace MakeupApi.FaceAnalysis.Detection;

/// <summary>
/// Owner of the MediaPipe BlazeFace full-range ("back camera") detector, blazeface-back.onnx
/// (Bazarevsky et al., "BlazeFace: Sub-millisecond Neural Face Detection on Mobile GPUs", 2019).
/// The whole photo is letterboxed into 256x256; 896 SSD anchors are decoded and merged by weighted NMS.
/// </summary>
public sealed class BlazeFaceDetector : IDisposable
{
    public const int InputSize = 256;
    private const int Regressors = 16;

    // Anchor layout of the full-range model (manifest.json "decoder"; MediaPipe SsdAnchorsCalculator with
    // strides [16, 32, 32, 32], i.e. a 16x16 grid with 2 anchors per cell, then an 8x8 grid with 6 per cell).
    private static readonly (int Grid, int PerCell)[] AnchorLayers = [(16, 2), (8, 6)];
    private static readonly Point2f[] Anchors = BuildAnchors();

    private readonly OnnxModel _model;
    private readonly DetectorOptions _options;

    public BlazeFaceDetector(OnnxModel model, DetectorOptions options)
    {
        _model = model;
        _options = options;
        model.RequireInput("input", 1, InputSize, InputSize, 3);
        model.RequireOutput("classificators_1", 1, 512, 1);
        model.RequireOutput("classificators_2", 1, 384, 1);
        model.RequireOutput("regressors_1", 1, 512, Regressors);
        model.RequireOutput("regressors_2", 1, 384, Regressors);
    }

    public ModelInfo Info => _model.Info;

    /// <summary>Faces in the photo above the configured score, largest first (size checks belong to the caller).</summary>
    public IReadOnlyList<DetectedFace> Detect(Mat bgr)
    {
        // Letterbox: scale the long side to 256 and pad the short side equally, so faces keep their aspect.
        double scale = (double)InputSize / Math.Max(bgr.Width, bgr.Height);
        double padX = (InputSize - bgr.Width * scale) / 2, padY = (InputSize - bgr.Height * scale) / 2;
        using var letterbox = new Mat();
        using (var toInput = Mat.FromPixelData(2, 3, MatType.CV_64FC1, new double[] { scale, 0, padX, 0, scale, padY }))
            Cv2.WarpAffine(bgr, letterbox, toInput, new Size(InputSize, InputSize),
                scale < 0.5 ? InterpolationFlags.Area : InterpolationFlags.Linear, BorderTypes.Constant, Scalar.Black);

        using var input = new TensorBuffer(1, InputSize, InputSize, 3);
        ImageTensor.FillRgb(letterbox, input.Span, 1 / 127.5f, -1f); // [-1, 1], manifest "normalisation"

        using var outputs = _model.Run(["input"], [input.Value],
            ["classificators_1", "classificators_2", "regressors_1", "regressors_2"]);
        var candidates = new List<Candidate>();
        Collect(outputs[0].GetTensorDataAsSpan<float>(), outputs[2].GetTensorDataAsSpan<float>(), 0, candidates);
        Collect(outputs[1].GetTensorDataAsSpan<float>(), outputs[3].GetTensorDataAsSpan<float>(), 512, candidates);

        var merged = WeightedNonMaxSuppression.Merge(candidates, _options.SuppressionIou);
        var faces = new List<DetectedFace>(merged.Count);
        foreach (var c in merged)
        {
            // Back to photo pixels: undo the padding and the scale.
            var box = new Rect2f((float)((c.Box.X - padX) / scale), (float)((c.Box.Y - padY) / scale),
                (float)(c.Box.Width / scale), (float)(c.Box.Height / scale));
            var keypoints = c.Keypoints.Select(p => new Point2f((float)((p.X - padX) / scale), (float)((p.Y - padY) / scale))).ToArray();
            faces.Add(new DetectedFace(box, keypoints, c.Score));
        }
        faces.Sort((a, b) => (b.Box.Width * b.Box.Height).CompareTo(a.Box.Width * a.Box.Height));
        return faces;
    }

    private void Collect(ReadOnlySpan<float> logits, ReadOnlySpan<float> regressors, int anchorOffset, List<Candidate> into)
    {
        // score = sigmoid(logit); MediaPipe clips logits to [-100, 100] (TensorsToDetectionsCalculator score_clipping_thresh).
        float minLogit = MathF.Log(_options.MinScore / (1 - _options.MinScore));
        for (int i = 0; i < logits.Length; i++)
        {
            float logit = Math.Clamp(logits[i], -100f, 100f);
            if (logit < minLogit) continue;
            var anchor = Anchors[anchorOffset + i];
            var r = regressors.Slice(i * Regressors, Regressors);
            float cx = anchor.X + r[0], cy = anchor.Y + r[1], w = r[2], h = r[3];
            if (w <= 0 || h <= 0) continue;
            var keypoints = new Point2f[6];
            for (int k = 0; k < 6; k++) keypoints[k] = new Point2f(anchor.X + r[4 + 2 * k], anchor.Y + r[5 + 2 * k]);
            into.Add(new Candidate(new Rect2f(cx - w / 2, cy - h / 2, w, h), keypoints, 1f / (1f + MathF.Exp(-logit))));
        }
    }

    private static Point2f[] BuildAnchors()
    {
        var anchors = new List<Point2f>(896);
        foreach (var (grid, perCell) in AnchorLayers)
        {
            float stride = (float)InputSize / grid;
            for (int y = 0; y < grid; y++)
                for (int x = 0; x < grid; x++)
                    for (int k = 0; k < perCell; k++)
                        anchors.Add(new Point2f((x + 0.5f) * stride, (y + 0.5f) * stride));
        }
        return [.. anchors];
    }

    public void Dispose() => _model.Dispose();
}

internal readonly record struct Candidate(Rect2f Box, Point2f[] Keypoints, float Score);

/// <summary>
/// MediaPipe's "weighted" non-maximum suppression (NonMaxSuppressionCalculator, OverlapType WEIGHTED): each kept face
/// is the score-weighted mean of all candidates overlapping the best one, which is steadier than keeping one box.
/// </summary>
internal static class WeightedNonMaxSuppression
{
    public static List<Candidate> Merge(List<Candidate> candidates, float iouThreshold)
    {
        var remaining = candidates.OrderByDescending(c => c.Score).ToList();
        var result = new List<Candidate>();
        while (remaining.Count > 0)
        {
            var best = remaining[0];
            var cluster = remaining.Where(c => Iou(best.Box, c.Box) > iouThreshold).ToList();
            remaining.RemoveAll(c => Iou(best.Box, c.Box) > iouThreshold);
            if (cluster.Count == 0) { cluster.Add(best); remaining.RemoveAt(0); }

            float total = cluster.Sum(c => c.Score);
            float x = 0, y = 0, w = 0, h = 0;
            var keypoints = new Point2f[best.Keypoints.Length];
            foreach (var c in cluster)
            {
                float wgt = c.Score / total;
                x += c.Box.X * wgt; y += c.Box.Y * wgt; w += c.Box.Width * wgt; h += c.Box.Height * wgt;
                for (int k = 0; k < keypoints.Length; k++)
                    keypoints[k] = new Point2f(keypoints[k].X + c.Keypoints[k].X * wgt, keypoints[k].Y + c.Keypoints[k].Y * wgt);
            }
            result.Add(new Candidate(new Rect2f(x, y, w, h), keypoints, best.Score));
        }
        return result;
    }

    public static float Iou(Rect2f a, Rect2f b)
    {
        float ix = Math.Max(0, Math.Min(a.Right, b.Right) - Math.Max(a.Left, b.Left));
        float iy = Math.Max(0, Math.Min(a.Bottom, b.Bottom) - Math.Max(a.Top, b.Top));
        float inter = ix * iy;
        float union = a.Width * a.Height + b.Width * b.Height - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
