namespace MakeupApi.Transfer.Classical;

/// <summary>
/// Tunables of <see cref="ClassicalMakeupEngine"/>. Lengths are fractions of the crop side so that the engine behaves
/// the same at any working size. The defaults were tuned on the MT-dataset photo pairs in ../shared/data (lips and
/// eye-band colour movement measured with CIEDE2000, and visual inspection of the results).
/// </summary>
public sealed record ClassicalEngineOptions
{
    /// <summary>
    /// How far the source's skin moves toward the reference's skin at skin strength 1. Foundation evens and slightly
    /// shifts a complexion but does not replace it: moving all the way would copy the reference's skin tone (and the
    /// reference photo's lighting) onto the source, losing the source's identity.
    /// </summary>
    public float FoundationAmount { get; init; } = 0.4f;

    /// <summary>
    /// The same for lightness (L*), applied on top of <see cref="FoundationAmount"/>: skin lightness carries the
    /// photo's exposure and the person's complexion more than the product does, so it moves less than the hue.
    /// </summary>
    public float FoundationLightness { get; init; } = 0.5f;

    /// <summary>
    /// Blush (<see cref="BlushLayer"/>): the share of the colour the pose-corrected reference's cheeks have over its
    /// plain skin that the source's cheeks take, at blush strength 1 (RegionStrengths.BlushOrSkin); 0 turns it off.
    /// Unlike the foundation it is taken by place.
    /// </summary>
    public float BlushAmount { get; init; } = 1f;

    /// <summary>
    /// Share of the source's own cheek colour over its plain skin (a natural flush) taken away before the blush goes on:
    /// 1 leaves the cheeks with exactly the reference's colour over the plain skin, 0 lays the blush over the flush.
    /// </summary>
    public float BlushEvensOwn { get; init; } = 0.5f;

    /// <summary>
    /// Most either cheek of the reference may exceed the other in redness over its plain skin, as a factor, before that
    /// cheek's blush is scaled down (<see cref="BlushLayer.SideScales"/>): a blush goes on both cheeks alike, a side
    /// light does not, so a reference's one "blushing" cheek is mostly its shade. Infinity turns the balance off.
    /// </summary>
    public float BlushSideBalance { get; init; } = 1.5f;

    /// <summary>Gaussian sigma of the cheeks' colour pattern, a fraction of the crop side (10 px at 512).</summary>
    public double BlushSigma { get; init; } = 1 / 50.0;

    /// <summary>Sigma of the cheek zones' outward feather, a fraction of the crop side (13 px at 512).</summary>
    public double CheekFeather { get; init; } = 1 / 40.0;

    /// <summary>Largest blush change per chroma channel, in CIELAB units: a strong stage blush, not paint.</summary>
    public float MaxBlushChange { get; init; } = 15f;

    /// <summary>
    /// Skin anchoring, per region: the reference's region colours are shifted by this fraction of the difference
    /// between the two skins (source skin mean − reference skin mean, in CIELAB) before matching, within
    /// <see cref="AnchorLimit"/>. 0 copies the reference's colour as it is; 1 transfers only how the region differs
    /// from the reference's own skin, re-applied on the source's skin (right for translucent products over very
    /// different complexions). Eye shadow is a thin layer over skin, so it follows the source's skin. Lipstick is
    /// opaque: the lips show the product's colour whatever the complexion under it, so lips take the reference's
    /// colour as it is (0). The photo's exposure, the other thing the skins' difference carries, is what the colour
    /// return brings back on the lips (Compositing.ColorReturn, lightness on the makeup regions); anchoring the lips
    /// as well counted it twice and, measured on the shared set, kept about one pair in a hundred from moving its
    /// lips 60% of the way to the reference's colour.
    /// </summary>
    public float LipSkinAnchor { get; init; } = 0f;

    /// <inheritdoc cref="LipSkinAnchor"/>
    public float EyeSkinAnchor { get; init; } = 0.3f;

    /// <summary>
    /// The anchoring shift may move a region's reference colour by at most this share of the region's own colour
    /// change (source region mean to reference region mean, both in CIEDE2000): it adapts the makeup to the source's
    /// complexion but never outweighs it. Where the skins differ far more than the regions do (a light eye shadow, a
    /// smoky lid on a much paler face), an unlimited shift moves the region away from the reference's colour, even
    /// past the source's own (the eye band darker than both faces'), instead of toward it.
    /// </summary>
    public float AnchorLimit { get; init; } = 0.1f;

    /// <summary>
    /// Share of the skin anchoring applied to the chroma (a*, b*) as opposed to the lightness (L*). Complexions differ
    /// mostly in lightness; their hue differences are small, and a product's hue is what the reference is chosen for.
    /// </summary>
    public float AnchorChromaShare { get; init; } = 0.5f;

    /// <inheritdoc cref="LipSkinAnchor"/>
    public float BrowSkinAnchor { get; init; } = 0.2f;

    /// <summary>
    /// Eye shadow on faces of different complexions: with only <see cref="EyeSkinAnchor"/>, a light-skinned reference
    /// gave a dark-skinned source pale rings round the eyes. Past the complexion gap the band is placed on the source's
    /// own skin (<see cref="ComplexionOptions"/>), without <see cref="AnchorLimit"/>.
    /// </summary>
    public ComplexionOptions Complexion { get; init; } = new();

    /// <summary>
    /// Eye shadow: share of the change taken pixel by pixel from the pose-corrected reference (its base layer at the
    /// same position) instead of by histogram matching. Histogram matching reproduces the colours but not where they
    /// sit; eye looks have a layout (lid colour, crease, outer wing) that the warp has put in place.
    /// </summary>
    public float EyeSpatialMix { get; init; } = 0.5f;

    /// <summary>
    /// Lips: the reference's lip pixels over the source's open mouth, and this far around it (a fraction of the crop
    /// side, 3 px at 512), are left out of the reference's lip colours: pose correction stretches them there.
    /// </summary>
    public double MouthMargin { get; init; } = 1 / 170.0;

    /// <summary>
    /// Largest slope of a region's colour map (output units per input unit, per CIELAB channel): how much the transfer
    /// may stretch the source's own contrast in a region. Exact histogram matching is unbounded there: a gap in the
    /// reference's distribution becomes a hard edge across a smooth gradient of the source (see
    /// <see cref="HistogramMatcher.LimitSlope"/>).
    /// </summary>
    public double MaxMatchSlope { get; init; } = 3;

    /// <summary>
    /// Side, in pixels, of the grid the smooth base layer is computed on (the crop is area-downsampled by the nearest
    /// integer factor, 2 at 512). The base layer and the colour change have no detail finer than the base sigma
    /// (4 px at 512), so computing them at half resolution loses nothing visible and costs a quarter of the work; the
    /// change is upsampled and added to the full-resolution source, whose own detail is thereby kept.
    /// </summary>
    public int BaseResolution { get; init; } = 256;

    /// <summary>Gaussian sigma of the base (colour/shading) layer, as a fraction of the crop side (4 px at 512).</summary>
    public double BaseSigma { get; init; } = 1 / 128.0;

    /// <summary>Mask feathering sigmas, fractions of the crop side: crisp for lips and brows, soft for eye shadow.</summary>
    public double LipFeather { get; init; } = 1 / 256.0;

    /// <inheritdoc cref="LipFeather"/>
    public double EyeFeather { get; init; } = 1 / 100.0;

    /// <inheritdoc cref="LipFeather"/>
    public double BrowFeather { get; init; } = 1 / 256.0;

    /// <inheritdoc cref="LipFeather"/>
    public double SkinFeather { get; init; } = 1 / 100.0;

    /// <summary>
    /// A region is transferred only when the pose-corrected reference shows at least this share of the source's
    /// region pixels; a smaller sample (the region hidden or cut off in the reference) says too little about the makeup.
    /// </summary>
    public double MinReferenceCoverage { get; init; } = 0.1;

    /// <summary>
    /// Largest mean-colour correction of lips and eye shadow, in CIELAB units (see <see cref="RegionMeanCorrection"/>);
    /// 0 turns it off. It only makes up what rendering lost (clipping, the curved Lab→sRGB map, the warp's uneven
    /// stretch). Measured over the 2365 pairs of the shared makeup set, the gap it closes has a median of 1.5 units on
    /// the lips and 1.3 on the eye band, a 95th percentile of 5.1 and 4.5, and exceeds the cap on 5 pairs (13.6 at
    /// most); a larger cap would let it paint where the transfer itself decided not to.
    /// </summary>
    public double MaxMeanCorrection { get; init; } = 12;
}
