using MakeupApi.FaceAnalysis;
using OpenCvSharp;

namespace MakeupApi.Evaluation;

/// <summary>Pairs an annotated face with one of the detector's faces, for accuracy measurements on annotated photos.</summary>
public static class DetectionMatching
{
    /// <summary>
    /// Annotated photos (HELEN) can hold several faces: the annotated one is the detection whose box holds the centre of
    /// the annotated points, the nearest box centre winning when several do; null when no box holds it (a miss).
    /// </summary>
    public static DetectedFace? ForAnnotation(IReadOnlyList<DetectedFace> detections, IReadOnlyList<Point2f> truth)
    {
        float cx = truth.Average(p => p.X), cy = truth.Average(p => p.Y);
        return detections
            .Where(d => d.Box.Contains(new Point2f(cx, cy)))
            .OrderBy(d => Math.Pow(d.Box.X + d.Box.Width / 2 - cx, 2) + Math.Pow(d.Box.Y + d.Box.Height / 2 - cy, 2))
            .FirstOrDefault();
    }
}
