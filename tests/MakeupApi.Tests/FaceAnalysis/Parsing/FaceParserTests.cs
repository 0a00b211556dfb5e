using MakeupApi.FaceAnalysis.Parsing;
using OpenCvSharp;

namespace MakeupApi.Tests.FaceAnalysis.Parsing;

/// <summary>The parser on a drawn face (<see cref="SyntheticFace"/>): fast, no models or photos needed.</summary>
public sealed class FaceParserTests
{
    private static byte At(Mat labels, float x, float y) => labels.At<byte>((int)MathF.Round(y), (int)MathF.Round(x));

    [Fact]
    public void Mesh_polygons_put_each_region_under_its_celebamask_label()
    {
        var face = new SyntheticFace(innerRy: 8);
        using var image = face.Draw();
        using var labels = new FaceParser(FaceParserOptions.MeshOnly).Parse(image, face.Mesh);

        Assert.Equal(FaceLabel.Background, At(labels, 20, 20));
        Assert.Equal(FaceLabel.Skin, At(labels, 256, 120));          // forehead
        Assert.Equal(FaceLabel.Skin, At(labels, 160, 300));          // cheek
        Assert.Equal(FaceLabel.RightBrow, At(labels, 190, 181));     // subject's right = image left
        Assert.Equal(FaceLabel.LeftBrow, At(labels, 322, 181));
        Assert.Equal(FaceLabel.RightEye, At(labels, 190, 220));
        Assert.Equal(FaceLabel.LeftEye, At(labels, 322, 220));
        Assert.Equal(FaceLabel.Nose, At(labels, 256, 280));
        Assert.Equal(FaceLabel.Nose, At(labels, 256, 215));          // the apex sits above vertex 168 (y 225)
        Assert.Equal(FaceLabel.UpperLip, At(labels, 256, 373));
        Assert.Equal(FaceLabel.LowerLip, At(labels, 256, 407));
        Assert.Equal(FaceLabel.Mouth, At(labels, 256, 390));         // between the inner lip lines
        Assert.Equal(FaceLabel.Skin, At(labels, 256, 440));          // chin
    }

    [Fact]
    public void Parse_returns_one_byte_labels_the_size_of_the_image()
    {
        var face = new SyntheticFace();
        using var image = face.Draw();
        using var cropped = new Mat(image, new Rect(0, 0, 400, 512)).Clone();
        using var labels = new FaceParser().Parse(cropped, face.Mesh);
        Assert.Equal(MatType.CV_8UC1, labels.Type());
        Assert.Equal(cropped.Size(), labels.Size());
    }

    [Fact]
    public void Parse_accepts_2d_points_with_depth_as_the_aligned_crops_carry_them()
    {
        var face = new SyntheticFace();
        using var image = face.Draw();
        using var withDepth = new FaceParser().Parse(image, face.Mesh, new float[face.Mesh.Length]);
        using var without = new FaceParser().Parse(image, face.Mesh);
        Assert.Equal(0, Cv2.Norm(withDepth, without, NormTypes.L1));
    }

    [Fact]
    public void Parse_rejects_a_mesh_that_is_not_468_points()
    {
        using var image = new Mat(64, 64, MatType.CV_8UC3, Scalar.All(0));
        Assert.Throws<ArgumentException>(() => new FaceParser().Parse(image, new Point2f[10]));
        Assert.Throws<ArgumentException>(() => new FaceParser().Parse(image, new SyntheticFace().Mesh, new float[3]));
    }

    [Fact]
    public void A_face_partly_outside_the_image_still_parses()
    {
        var face = new SyntheticFace();
        using var image = face.Draw();
        var shifted = face.Mesh.Select(p => new Point2f(p.X - 200, p.Y + 150)).ToArray();
        using var labels = new FaceParser().Parse(image, shifted);
        Assert.Equal(image.Size(), labels.Size());
        Assert.Equal(FaceLabel.Nose, At(labels, 56, 430));
    }

    [Fact]
    public void An_open_mouth_the_mesh_reports_closed_is_labelled_mouth_from_teeth_and_darkness()
    {
        var face = new SyntheticFace(innerRy: 0);   // the mesh says closed...
        using var image = face.Draw();
        // ...the photo shows an opening: a dark cavity with a row of teeth under the upper lip.
        image.Ellipse(SyntheticFace.Round(SyntheticFace.MouthCentre), new Size(44, 10), 0, 0, 360, new Scalar(35, 30, 45), -1);
        image.Rectangle(new Point(226, 381), new Point(286, 386), new Scalar(225, 230, 235), -1);

        using var refined = new FaceParser().Parse(image, face.Mesh);
        Assert.Equal(FaceLabel.Mouth, At(refined, 256, 390));       // cavity
        Assert.Equal(FaceLabel.Mouth, At(refined, 256, 383));       // teeth
        Assert.Equal(FaceLabel.Mouth, At(refined, 225, 390));
        Assert.Equal(FaceLabel.UpperLip, At(refined, 256, 372));
        Assert.Equal(FaceLabel.LowerLip, At(refined, 256, 408));

        using var meshMouth = new FaceParser(new FaceParserOptions { FindMouthOpening = false }).Parse(image, face.Mesh);
        Assert.NotEqual(FaceLabel.Mouth, At(meshMouth, 256, 395));   // only the mesh's own (closed) line would be
    }

    [Fact]
    public void Lips_follow_the_lipstick_where_the_mesh_draws_them_too_low()
    {
        var face = new SyntheticFace();
        using var image = face.Draw();
        // Repaint: the real lips end 12 px above the mesh's lower lip line.
        image.Ellipse(SyntheticFace.Round(SyntheticFace.MouthCentre), new Size(62, 27), 0, 0, 360, SyntheticFace.SkinColour, -1);
        image.Ellipse(new Point(256, 384), new Size(60, 19), 0, 0, 360, SyntheticFace.LipColour, -1);

        using var mesh = new FaceParser(FaceParserOptions.MeshOnly).Parse(image, face.Mesh);
        using var refined = new FaceParser().Parse(image, face.Mesh);
        Assert.Equal(FaceLabel.LowerLip, At(mesh, 256, 410));
        Assert.Equal(FaceLabel.Skin, At(refined, 256, 410));        // skin the mesh called lip
        Assert.Equal(FaceLabel.LowerLip, At(refined, 256, 398));
        Assert.Equal(FaceLabel.UpperLip, At(refined, 256, 370));
    }

    [Fact]
    public void Skin_grows_above_the_mesh_up_to_the_hairline_and_not_into_the_hair()
    {
        var face = new SyntheticFace();
        using var image = face.Draw();
        // The forehead continues above the oval's top (y 70) to a hairline at y 40; hair above it and at the sides.
        image.Ellipse(new Point(256, 150), new Size(130, 110), 0, 180, 360, SyntheticFace.SkinColour, -1);
        image.Rectangle(new Point(0, 0), new Point(511, 39), new Scalar(30, 35, 50), -1);

        using var mesh = new FaceParser(FaceParserOptions.MeshOnly).Parse(image, face.Mesh);
        using var refined = new FaceParser().Parse(image, face.Mesh);
        Assert.Equal(FaceLabel.Background, At(mesh, 256, 55));
        Assert.Equal(FaceLabel.Skin, At(refined, 256, 55));         // forehead above the mesh
        Assert.Equal(FaceLabel.Skin, At(refined, 200, 60));
        Assert.Equal(FaceLabel.Background, At(refined, 256, 30));   // the hair
    }

    [Fact]
    public void A_fringe_over_the_forehead_is_taken_out_of_the_skin()
    {
        var face = new SyntheticFace();
        using var image = face.Draw();
        // Dark hair over the oval's top down to y 115.
        image.Rectangle(new Point(0, 0), new Point(511, 115), new Scalar(30, 35, 50), -1);

        using var mesh = new FaceParser(FaceParserOptions.MeshOnly).Parse(image, face.Mesh);
        using var refined = new FaceParser().Parse(image, face.Mesh);
        Assert.Equal(FaceLabel.Skin, At(mesh, 256, 95));
        Assert.Equal(FaceLabel.Background, At(refined, 256, 95));   // the fringe
        Assert.Equal(FaceLabel.Skin, At(refined, 256, 140));        // the forehead below it
    }
}
