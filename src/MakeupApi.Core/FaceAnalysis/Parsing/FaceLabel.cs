namespace MakeupApi.FaceAnalysis.Parsing;

/// <summary>
/// Label values of the face-parsing maps: the CelebAMask-HQ / BiSeNet convention (Lee et al., "MaskGAN", CVPR 2020),
/// so masks compare directly with labelled photos and with BiSeNet-style parsers.
/// </summary>
public static class FaceLabel
{
    public const byte Background = 0;
    public const byte Skin = 1;
    public const byte LeftBrow = 2;
    public const byte RightBrow = 3;
    public const byte LeftEye = 4;
    public const byte RightEye = 5;
    public const byte Glasses = 6;
    public const byte LeftEar = 7;
    public const byte RightEar = 8;
    public const byte Earring = 9;
    public const byte Nose = 10;
    public const byte Mouth = 11;
    public const byte UpperLip = 12;
    public const byte LowerLip = 13;
    public const byte Neck = 14;
    public const byte Necklace = 15;
    public const byte Cloth = 16;
    public const byte Hair = 17;
    public const byte Hat = 18;
}
