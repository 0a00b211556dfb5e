using OpenCvSharp;

namespace MakeupApi.Onnx;

/// <summary>Copies an 8-bit BGR image into an NHWC RGB float tensor as (pixel * scale + offset).</summary>
internal static class ImageTensor
{
    public static unsafe void FillRgb(Mat bgr, Span<float> destination, float scale, float offset)
    {
        if (bgr.Type() != MatType.CV_8UC3) throw new ArgumentException("Expected CV_8UC3.", nameof(bgr));
        int w = bgr.Width, h = bgr.Height;
        if (destination.Length < w * h * 3) throw new ArgumentException("Destination too small.", nameof(destination));
        for (int y = 0; y < h; y++)
        {
            byte* row = (byte*)bgr.Ptr(y);
            var dst = destination.Slice(y * w * 3, w * 3);
            for (int x = 0, i = 0; x < w; x++, i += 3)
            {
                dst[i] = row[i + 2] * scale + offset;
                dst[i + 1] = row[i + 1] * scale + offset;
                dst[i + 2] = row[i] * scale + offset;
            }
        }
    }
}
