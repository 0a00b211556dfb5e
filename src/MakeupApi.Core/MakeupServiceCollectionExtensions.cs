using MakeupApi.Compositing;
using MakeupApi.FaceAnalysis;
using MakeupApi.FaceAnalysis.Detection;
using MakeupApi.FaceAnalysis.Landmarks;
using MakeupApi.FaceAnalysis.Parsing;
using MakeupApi.Imaging;
using MakeupApi.Onnx;
using MakeupApi.Pipeline;
using MakeupApi.PoseCorrection;
using MakeupApi.Transfer;
using MakeupApi.Transfer.Classical;
using MakeupApi.Transfer.Generator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace MakeupApi;

public static class MakeupServiceCollectionExtensions
{
    /// <summary>Detector, face mesh, 68-point mapping and parser: one owner per model, each session created once.</summary>
    public static IServiceCollection AddFaceAnalysis(this IServiceCollection services)
    {
        services.AddOptions<ModelOptions>().BindConfiguration(ModelOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ModelOptions>, ModelFilesValidation>());
        services.AddOptions<DetectorOptions>().BindConfiguration(DetectorOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton(sp => FaceAnalysisFactory.CreateDetector(Value<ModelOptions>(sp), Value<DetectorOptions>(sp)));
        services.AddSingleton(sp => FaceAnalysisFactory.CreateMesh(Value<ModelOptions>(sp)));
        services.AddSingleton(_ => LandmarkMapping.LoadEmbedded());
        services.AddSingleton(sp => FaceAnalysisFactory.CreateIris(Value<ModelOptions>(sp))); // used when FaceAnalysis:UseIris
        services.AddSingleton(sp => new FaceAnalyzer(
            sp.GetRequiredService<BlazeFaceDetector>(), sp.GetRequiredService<FaceMeshModel>(),
            sp.GetRequiredService<LandmarkMapping>(), Value<DetectorOptions>(sp),
            Value<DetectorOptions>(sp).UseIris ? sp.GetRequiredService<IrisModel>() : null));
        services.AddSingleton(_ => new FaceParser());
        return services;
    }

    /// <summary>Pose correction, transfer engines, compositing, the pipeline and its warm-up/readiness.</summary>
    public static IServiceCollection AddMakeupPipeline(this IServiceCollection services)
    {
        services.AddOptions<ImageLimits>().BindConfiguration(ImageLimits.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PipelineOptions>().BindConfiguration(PipelineOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton(sp => new TriangulationWarp(sp.GetRequiredService<LandmarkMapping>().MirrorIndex));
        services.AddSingleton(_ => new ColorReturn());
        services.AddSingleton(_ => new FacePaster());
        services.AddSingleton<IMakeupEngine>(_ => new ClassicalMakeupEngine());
        services.AddGeneratorEngineIfPresent();
        services.AddSingleton<IMakeupPipeline, MakeupPipeline>();
        services.AddSingleton<IModelCatalog, ModelCatalog>();
        services.AddSingleton<ModelWarmUp>();
        services.AddSingleton<IReadiness>(sp => sp.GetRequiredService<ModelWarmUp>());
        services.AddHostedService(sp => sp.GetRequiredService<ModelWarmUp>());
        return services;
    }

    /// <summary>
    /// The trained generator is optional: the engine is offered only when its model file exists (GET /models lists the
    /// available engines). Whether it exists is decided once, from configuration, when the service starts.
    /// </summary>
    private static void AddGeneratorEngineIfPresent(this IServiceCollection services)
    {
        services.AddSingleton<IMakeupEngine>(sp =>
        {
            var models = Value<ModelOptions>(sp);
            var path = models.Resolve(models.Generator);
            return File.Exists(path)
                ? new GeneratorMakeupEngine(new OnnxModel(GeneratorMakeupEngine.ModelName, path, models))
                : new UnavailableEngine("generator");
        });
    }

    private static T Value<T>(IServiceProvider sp) where T : class => sp.GetRequiredService<IOptions<T>>().Value;

    /// <summary>A missing model file stops the service at boot, naming the file and the setting to change.</summary>
    private sealed class ModelFilesValidation : IValidateOptions<ModelOptions>
    {
        public ValidateOptionsResult Validate(string? name, ModelOptions options)
        {
            var missing = new[] { options.Detector, options.FaceMesh, options.Iris }
                .Select(options.Resolve).Where(path => !File.Exists(path)).ToList();
            return missing.Count == 0
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(missing.Select(p =>
                    $"Model file not found: {p}. Set Models:Directory (env Models__Directory) to the folder with the .onnx files from onnx-models/."));
        }
    }
}
