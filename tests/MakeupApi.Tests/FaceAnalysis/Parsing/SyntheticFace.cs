using MakeupApi.FaceAnalysis.Landmarks;
using MakeupApi.FaceAnalysis.Parsing;
using OpenCvSharp;

namespace MakeupApi.Tests.FaceAnalysis.Parsing;

/// <summary>
/// A drawn face for the parser's unit tests: a 468-point mesh whose contour vertices (face oval, brows, eyes, nose,
/// lips) lie on simple shapes in a 512x512 frame, every other vertex at the face's centre, and a matching picture
/// (skin-coloured oval on grey, red lips, dark brows) that tests then alter. Upright and frontal: vertex 10 at the
/// top, 152 at the chin.
/// </summary>
internal sealed class SyntheticFace
{
    public const int Size = 512;
    public static readonly Point2f Centre = new(256, 280);
    public const float OvalRx = 150, OvalRy = 200;           // face oval round (256, 270): top y = 70, chin y = 470
    public static readonly Point2f OvalCentre = new(256, 270);
    public static readonly Point2f RightEyeCentre = new(190, 220), LeftEyeCentre = new(322, 220);
    public const float EyeRx = 30, EyeRy = 12;
    public const float BrowTop = 172, BrowBottom = 190;
    public static readonly Point2f MouthCentre = new(256, 390);
    public const float LipRx = 60, LipRy = 25, InnerRx = 50;

    public static readonly Scalar Grey = new(128, 128, 128);
    public static readonly Scalar SkinColour = new(150, 180, 225);      // BGR, light skin
    public static readonly Scalar LipColour = new(70, 60, 200);         // BGR, red lipstick
    public static readonly Scalar BrowColour = new(40, 50, 70);         // BGR, dark brown

    public Point2f[] Mesh { get; }

    /// <param name="innerRy">Half the mouth opening the mesh reports (0: closed).</param>
    public SyntheticFace(float innerRy = 0)
    {
        var m = Enumerable.Repeat(Centre, FaceMeshModel.PointCount).ToArray();
        // Face oval: FaceOval starts at 10 (top) and runs clockwise in the image.
        var oval = MeshTopology.FaceOval;
        for (int i = 0; i < oval.Length; i++)
            m[oval[i]] = OnEllipse(OvalCentre, OvalRx, OvalRy, -90 + 360.0 * i / oval.Length);
        // Eyes: the subject's right eye (image left) from its outer corner 33 along the lower lid to 133, then the upper lid.
        for (int k = 0; k < 16; k++)
        {
            m[MeshTopology.RightEye[k]] = OnEllipse(RightEyeCentre, EyeRx, EyeRy, 180 - 22.5 * k);
            m[MeshTopology.LeftEye[k]] = OnEllipse(LeftEyeCentre, EyeRx, EyeRy, 22.5 * k);
        }
        // Brows: upper edge from the outer end inwards, then the lower edge back out.
        for (int k = 0; k < 5; k++)
        {
            float t = k / 4f;
            m[MeshTopology.RightBrow[k]] = new Point2f(150 + 80 * t, BrowTop);
            m[MeshTopology.RightBrow[9 - k]] = new Point2f(150 + 80 * t, BrowBottom);
            m[MeshTopology.LeftBrow[k]] = new Point2f(362 - 80 * t, BrowTop);
            m[MeshTopology.LeftBrow[9 - k]] = new Point2f(362 - 80 * t, BrowBottom);
        }
        // Nose: 168 between the eyes and 8 above it set the apex; the sides widen down to the nostrils, 2 at the bottom.
        m[168] = new Point2f(256, 225);
        m[8] = new Point2f(256, 190);
        var sides = MeshRegions.NoseSides;
        int bottom = Array.IndexOf(sides, 2);
        for (int i = 0; i < bottom; i++)
        {
            float t = i / (float)(bottom - 1);
            m[sides[i]] = new Point2f(256 + 15 + 25 * t, 230 + 100 * t);
            m[sides[sides.Length - 1 - i]] = new Point2f(256 - 15 - 25 * t, 230 + 100 * t);
        }
        m[2] = new Point2f(256, 335);
        // Lips: both lines from the right corner (image left) along the lower lip, then back over the upper lip.
        for (int k = 0; k < 20; k++)
        {
            m[MeshTopology.LipsOuter[k]] = OnEllipse(MouthCentre, LipRx, LipRy, 180 - 18 * k);
            m[MeshTopology.LipsInner[k]] = OnEllipse(MouthCentre, InnerRx, innerRy, 180 - 18 * k);
        }
        Mesh = m;
    }

    /// <summary>The picture: grey background, skin-coloured face oval, dark brows, red lips (closed).</summary>
    public Mat Draw()
    {
        var image = new Mat(Size, Size, MatType.CV_8UC3, Grey);
        image.Ellipse(Round(OvalCentre), new OpenCvSharp.Size(OvalRx, OvalRy), 0, 0, 360, SkinColour, -1);
        image.Rectangle(new Point(150, (int)BrowTop), new Point(230, (int)BrowBottom), BrowColour, -1);
        image.Rectangle(new Point(282, (int)BrowTop), new Point(362, (int)BrowBottom), BrowColour, -1);
        image.Ellipse(Round(MouthCentre), new OpenCvSharp.Size(LipRx, LipRy), 0, 0, 360, LipColour, -1);
        return image;
    }

    public static Point Round(Point2f p) => new((int)MathF.Round(p.X), (int)MathF.Round(p.Y));

    private static Point2f OnEllipse(Point2f c, float rx, float ry, double degrees)
    {
        double a = degrees * Math.PI / 180;
        return new Point2f(c.X + rx * (float)Math.Cos(a), c.Y + ry * (float)Math.Sin(a));
    }
}
