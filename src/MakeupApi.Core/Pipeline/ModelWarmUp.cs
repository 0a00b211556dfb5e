using MakeupApi.FaceAnalysis;
using MakeupApi.FaceAnalysis.Landmarks;
using MakeupApi.Onnx;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenCvSharp;

namespace MakeupApi.Pipeline;

/// <summary>
/// Opens every model when the host starts (a broken model file fails the start, not the first request) and runs each
/// once in the background, so the first client does not pay ONNX Runtime's first-run graph preparation.
/// GET /health/ready reports <see cref="IsReady"/>.
/// </summary>
internal sealed class ModelWarmUp(IMakeupPipeline pipeline, FaceAnalyzer analyzer, IModelCatalog catalog, ILogger<ModelWarmUp> logger)
    : BackgroundService, IReadiness
{
    private volatile bool _ready;
    public bool IsReady => _ready;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Resolving the catalog opened every session; say what was loaded.
        foreach (var m in catalog.Models)
            logger.LogInformation("Loaded model {Model} ({File}, sha256 {Sha256}) on {Provider}", m.Name, m.File, m.Sha256[..12], m.ExecutionProvider);
        logger.LogInformation("Engines available: {Engines}", string.Join(", ", pipeline.AvailableEngines));
        return base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(() =>
    {
        // A plain grey frame runs the detector; a synthetic face ROI runs the mesh. Outputs are ignored: this only warms.
        using var frame = new Mat(480, 640, MatType.CV_8UC3, new Scalar(128, 128, 128));
        analyzer.FindFaces(frame, stoppingToken);
        var mesh = analyzer.MeshModel;
        mesh.RunOnRoi(frame, new RotatedRoi(new Point2f(320, 240), 200, 0));
        _ready = true;
        logger.LogInformation("Models warmed up; ready");
    }, stoppingToken);
}
