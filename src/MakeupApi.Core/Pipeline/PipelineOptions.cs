using System.ComponentModel.DataAnnotations;

namespace MakeupApi.Pipeline;

/// <summary>Transfer pipeline settings; configuration section "Pipeline".</summary>
public sealed record PipelineOptions
{
    public const string Section = "Pipeline";

    /// <summary>Side of the aligned face crop the classical engine works on. 512 keeps lip and lash detail of a
    /// 1024-px portrait (whose face spans ~400-600 px) while the per-request cost stays within the 200 ms budget.</summary>
    [Range(128, 1024)] public int WorkingSize { get; init; } = 512;

    /// <summary>How much of the source's own low-frequency colour and lighting comes back after transfer (0..1).</summary>
    [Range(0.0, 1.0)] public float ColorReturnStrength { get; init; } = 0.5f;

    /// <summary>
    /// A reference whose face shows less colour than this (<see cref="FaceAnalysis.Parsing.FaceColourfulness"/>, CIELAB
    /// units) is refused with reference_without_colour: a black-and-white or toned photo has no makeup colour to give,
    /// and taken as it is it put grey lips and grey eye bands on colour faces. Measured at the service's crops: 55
    /// makeup references 5.43 and up, 43 bare faces 4.04 and up; of 870 HELEN photos the black-and-white and sepia ones
    /// 3.01 and below, the next (a heavily toned photo) 3.38. 0 accepts every reference.
    /// </summary>
    [Range(0.0, 20.0)] public double MinReferenceColourfulness { get; init; } = 3.2;

    /// <summary>Engine used for engine=auto: "classical" or "generator" (the generator only when its model file exists).</summary>
    [RegularExpression("^(classical|generator)$")] public string DefaultEngine { get; init; } = "classical";
}
