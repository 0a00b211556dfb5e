using System.Globalization;
using MakeupApi.Alignment;
using MakeupApi.Onnx;
using MakeupApi.Transfer.Classical;
using OpenCvSharp;

namespace MakeupApi.Transfer.Generator;

/// <summary>
/// Owner of the trained makeup generator (improved PSGAN without AMM, training/ in this repository), served as an
/// engine. The network works at 256x256; the result is brought back to the working size without losing resolution by
/// adding the source's own high-frequency detail (a one-level Laplacian residual, Burt and Adelson 1983), without the
/// network's blur of the skin's texture (<see cref="DetailReturn"/>), and each region takes the generator's change in
/// proportion to its requested strength (<see cref="RegionWeights"/>: none on the eyeballs and the mouth's interior).
/// Where the two faces' complexions differ, the generator works on the source shifted onto the reference's skin and its
/// output is shifted back (<see cref="ComplexionShift"/>). On the plain skin its change is taken as one smooth layer,
/// as foundation is (<see cref="FoundationLayer"/>).
/// </summary>
public sealed class GeneratorMakeupEngine : IMakeupEngine, IModelBackedEngine, IDisposable
{
    public const string ModelName = "psgan-generator";

    /// <summary>The skin layer's sigma as a share of the crop's side; where it was chosen: <see cref="FoundationLayer.DefaultSigma"/>.</summary>
    public const double DefaultFoundationSigma = FoundationLayer.DefaultSigma;
    private readonly OnnxModel _model;
    private readonly int _size;
    private readonly ComplexionOptions _complexion;
    private readonly double _foundationSigma;

    /// <summary>Takes ownership of <paramref name="model"/>, disposing it if the model is not a usable generator.</summary>
    /// <param name="foundationSigma">The skin layer's sigma as a share of the crop's side
    /// (<see cref="DefaultFoundationSigma"/>); 0 leaves the skin's change as the network made it.</param>
    public GeneratorMakeupEngine(OnnxModel model, ComplexionOptions? complexion = null, double foundationSigma = DefaultFoundationSigma)
    {
        _model = model;
        try
        {
            _complexion = complexion ?? new ComplexionOptions();
            _complexion.Validate(nameof(complexion));
            if (!(foundationSigma is >= 0 and <= 1))
                throw new ArgumentOutOfRangeException(nameof(foundationSigma), foundationSigma, "a share of the crop's side, from 0 to 1");
            _foundationSigma = foundationSigma;
            _size = Check(model);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static int Check(OnnxModel model)
    {
        var meta = model.Info.Metadata;
        if (!meta.TryGetValue("makeupapi.model", out var kind) || kind != ModelName)
            throw new InvalidDataException($"{model.Info.File} is not a makeup generator (metadata makeupapi.model = '{kind}').");
        int size = int.Parse(meta.GetValueOrDefault("makeupapi.size", "256"), CultureInfo.InvariantCulture);
        if (meta.GetValueOrDefault("makeupapi.input_range") is { } range && range != "-1,1")
            throw new InvalidDataException($"{model.Info.File}: unsupported input range '{range}', expected -1,1.");
        if (meta.GetValueOrDefault("makeupapi.color_order") is { } order && order != "RGB")
            throw new InvalidDataException($"{model.Info.File}: unsupported colour order '{order}', expected RGB.");
        model.RequireInput("source", -1, 3, size, size);
        model.RequireInput("reference", -1, 3, size, size);
        model.RequireOutput("output", -1, 3, size, size);
        return size;
    }

    public string Name => "generator";
    public ModelInfo Info => _model.Info;

    public Mat Transfer(AlignedFace source, WarpedReference reference, RegionStrengths strengths)
    {
        int working = source.Size;
        var size = new Size(_size, _size);
        using var smallSource = source.Image.Resize(size, 0, 0, InterpolationFlags.Area);
        using var smallReference = new Mat();
        // Where pose correction had nothing to take, show the generator the source itself: no makeup to copy there.
        using (var refOrSource = source.Image.Clone())
        {
            reference.Image.CopyTo(refOrSource, reference.Valid);
            Cv2.Resize(refOrSource, smallReference, size, 0, 0, InterpolationFlags.Area);
        }
        using var regions = FaceRegions.Build(source.Labels, source.Ibug68);
        var complexionShift = ComplexionShiftFor(source, reference, regions, smallSource, smallReference);
        using var shownSource = complexionShift is { } toSource ? ComplexionShift.Apply(smallSource, ComplexionShift.Reversed(toSource)) : null;

        using var sourceTensor = new TensorBuffer(1, 3, _size, _size);
        using var referenceTensor = new TensorBuffer(1, 3, _size, _size);
        FillPlanarRgb(shownSource ?? smallSource, sourceTensor.Span);
        FillPlanarRgb(smallReference, referenceTensor.Span);
        using var outputs = _model.Run(["source", "reference"], [sourceTensor.Value, referenceTensor.Value], ["output"]);
        using var networkOutput = ToBgr(outputs[0].GetTensorDataAsSpan<float>(), _size);
        using var shiftedBack = complexionShift is { } back ? ShiftBack(networkOutput, back, regions.Lips) : null;
        var generated = shiftedBack ?? networkOutput;

        // Upscale; the source keeps what it lost by going down to the network's size and up again, and the change's
        // lightness is low-passed below one network pixel but on the lips (DetailReturn).
        var workingSize = new Size(working, working);
        using var sourceF = new Mat();
        source.Image.ConvertTo(sourceF, MatType.CV_32FC3);
        using var sourceRoundTrip = new Mat();
        using (var roundTrip = smallSource.Resize(workingSize, 0, 0, InterpolationFlags.Cubic))
            roundTrip.ConvertTo(sourceRoundTrip, MatType.CV_32FC3);
        using var upF = new Mat();
        using (var up = generated.Resize(workingSize, 0, 0, InterpolationFlags.Cubic))
            up.ConvertTo(upF, MatType.CV_32FC3);
        using var detailed = DetailReturn.Compose(sourceF, upF, sourceRoundTrip, regions.Lips, (double)working / _size);
        // The plain skin's change as one smooth layer (FoundationLayer); its edge hands over to the change as it is over
        // the shared region feather (RegionWeights: 1% of the side).
        using var layered = _foundationSigma > 0
            ? FoundationLayer.Smooth(sourceF, detailed, regions.Skin, _foundationSigma * working, Math.Max(1.0, working / 100.0))
            : null;
        var full = layered ?? detailed;

        // Per-region strength: result = source + weight * (generated - source).
        using var weight = RegionWeights.Build(regions, strengths);
        return WeightedBlend.ToBytes(sourceF, full, weight);
    }

    /// <summary>
    /// The shift from the reference's skin to the source's, measured at the generator's size; null where the
    /// complexions are alike (<see cref="ComplexionShift.Between"/>).
    /// </summary>
    private Scalar? ComplexionShiftFor(AlignedFace source, WarpedReference reference, FaceRegions sourceRegions, Mat smallSource, Mat smallReference)
    {
        var size = smallSource.Size();
        // The reference has been warped onto the source's geometry, so the source's landmarks stand in for its own.
        using var referenceRegions = FaceRegions.Build(reference.Labels, source.Ibug68, reference.Valid);
        using var sourceSkin = sourceRegions.Skin.Resize(size, 0, 0, InterpolationFlags.Nearest);
        using var referenceSkin = referenceRegions.Skin.Resize(size, 0, 0, InterpolationFlags.Nearest);
        return ComplexionShift.Between(smallSource, sourceSkin, smallReference, referenceSkin, _complexion);
    }

    /// <summary>The network's output brought back to the source's complexion, all but the lips.</summary>
    private static Mat ShiftBack(Mat networkOutput, Scalar shift, Mat lips)
    {
        var size = networkOutput.Size();
        using var smallLips = lips.Resize(size, 0, 0, InterpolationFlags.Area);
        // Feather: 2 px at 256, the classical engine's base sigma (1/128 of the side).
        using var cover = ComplexionShift.AllButLips(smallLips, size.Width / 128.0);
        return ComplexionShift.Apply(networkOutput, shift, cover);
    }

    private static unsafe void FillPlanarRgb(Mat bgr, Span<float> destination)
    {
        int w = bgr.Width, h = bgr.Height, plane = w * h;
        for (int y = 0; y < h; y++)
        {
            byte* row = (byte*)bgr.Ptr(y);
            for (int x = 0; x < w; x++)
            {
                int i = y * w + x;
                // [-1, 1] as the generator was trained (training/README.md): v / 127.5 - 1.
                destination[i] = row[3 * x + 2] / 127.5f - 1f;
                destination[plane + i] = row[3 * x + 1] / 127.5f - 1f;
                destination[2 * plane + i] = row[3 * x] / 127.5f - 1f;
            }
        }
    }

    private static unsafe Mat ToBgr(ReadOnlySpan<float> planar, int size)
    {
        var bgr = new Mat(size, size, MatType.CV_8UC3);
        int plane = size * size;
        for (int y = 0; y < size; y++)
        {
            byte* row = (byte*)bgr.Ptr(y);
            for (int x = 0; x < size; x++)
            {
                int i = y * size + x;
                row[3 * x + 2] = ToByte(planar[i]);
                row[3 * x + 1] = ToByte(planar[plane + i]);
                row[3 * x] = ToByte(planar[2 * plane + i]);
            }
        }
        return bgr;
    }

    private static byte ToByte(float v) => (byte)Math.Clamp((int)MathF.Round((v + 1f) * 127.5f), 0, 255);

    public void Dispose() => _model.Dispose();
}
