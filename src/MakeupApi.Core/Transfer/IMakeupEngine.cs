using MakeupApi.Alignment;
using OpenCvSharp;

namespace MakeupApi.Transfer;

/// <summary>
/// How strongly each region takes the reference's makeup, each in [0, 1]. <paramref name="Blush"/>, the cheeks' colour
/// (the classical engine's blush layer), follows <paramref name="Skin"/> unless set: it is part of the skin's makeup,
/// and "skin 0" has always meant the skin left alone.
/// </summary>
public sealed record RegionStrengths(float Lips = 1f, float Eyes = 1f, float Brows = 1f, float Skin = 1f, float? Blush = null)
{
    public static RegionStrengths All { get; } = new();

    /// <summary>The blush's strength: <see cref="Blush"/> when set, else <see cref="Skin"/>'s.</summary>
    public float BlushOrSkin => Blush ?? Skin;

    public RegionStrengths Scale(float intensity) => new(Lips * intensity, Eyes * intensity, Brows * intensity, Skin * intensity, Blush * intensity);
    public bool IsZero => Lips <= 0 && Eyes <= 0 && Brows <= 0 && Skin <= 0 && BlushOrSkin <= 0;
}

/// <summary>The reference face warped onto the source's geometry by pose correction. Owns its Mats.</summary>
public sealed class WarpedReference : IDisposable
{
    public required Mat Image { get; init; }   // CV_8UC3 BGR, same size as the source crop
    public required Mat Labels { get; init; }  // CV_8UC1 reference labels warped the same way
    public required Mat Valid { get; init; }   // CV_8UC1 255 where the warp had reference pixels to take

    /// <summary>
    /// The reference's own aligned crop before the warp, when the caller has it: its regions are whole and
    /// undistorted, so their colours describe the makeup better than the warped pixels do where pose correction
    /// stretched them (an open mouth, a turned head). Borrowed: the caller owns it, <see cref="Dispose"/> leaves it.
    /// </summary>
    public Alignment.AlignedFace? Unwarped { get; init; }

    public void Dispose()
    {
        Image.Dispose();
        Labels.Dispose();
        Valid.Dispose();
    }
}

/// <summary>
/// A makeup transfer engine: takes the aligned source crop and the pose-corrected reference and returns a new crop
/// (CV_8UC3, same size as the source crop) wearing the reference's makeup. Engines are singletons called
/// concurrently: they keep no per-request state.
/// </summary>
public interface IMakeupEngine
{
    string Name { get; }
    Mat Transfer(AlignedFace source, WarpedReference reference, RegionStrengths strengths);
}

/// <summary>An engine that runs an ONNX model, listed by GET /models.</summary>
public interface IModelBackedEngine
{
    Onnx.ModelInfo Info { get; }
}

/// <summary>
/// Stands in for an optional engine whose model is absent, so registration stays declarative; the pipeline leaves it
/// out of the available engines and answers a request for it with engine_unavailable.
/// </summary>
public sealed class UnavailableEngine(string name) : IMakeupEngine
{
    public string Name { get; } = name;
    public Mat Transfer(AlignedFace source, WarpedReference reference, RegionStrengths strengths) =>
        throw new InvalidOperationException($"The {Name} engine has no model.");
}
