using System.Reflection;
using MakeupApi.Api;
using MakeupApi.Imaging;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Serilog;
using Serilog.Events;

namespace MakeupApi;

/// <summary>The HTTP host around the pipeline: problems, limits, concurrency, Swagger and request logging.</summary>
public static class MakeupApiHostingExtensions
{
    public static IServiceCollection AddMakeupApi(this IServiceCollection services)
    {
        services.AddOptions<ConcurrencyOptions>().BindConfiguration(ConcurrencyOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<HttpLimitsOptions>().BindConfiguration(HttpLimitsOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PipelineGate>();

        services.AddProblemDetails(o => o.CustomizeProblemDetails = ApiProblems.Customize);
        services.AddExceptionHandler<ApiExceptionHandler>();
        // Binding failures (intensity=abc, a body that is not a form) become exceptions the handler above turns into
        // problems with a code, in every environment, instead of a bare status code.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

        // The request body may be two images of Images:MaxBytes plus the form's overhead. Kestrel refuses a longer body
        // while it streams in, before it is buffered; the same cap on each multipart part does it on hosts without
        // Kestrel's limit. A single file over MaxBytes within that cap reaches the upload filter, which names it.
        services.AddOptions<FormOptions>().Configure<IOptions<ImageLimits>, IOptions<HttpLimitsOptions>>((form, images, http) =>
            form.MultipartBodyLengthLimit = BodyLimit(images.Value, http.Value));
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<ImageLimits>, IOptions<HttpLimitsOptions>>((kestrel, images, http) =>
            kestrel.Limits.MaxRequestBodySize = BodyLimit(images.Value, http.Value));

        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "MakeupApi",
                Version = "v1",
                Description = "Makeup transfer: send a source face and a reference face wearing makeup; get the source back wearing it.",
            });
            var xml = Path.Combine(AppContext.BaseDirectory, $"{Assembly.GetExecutingAssembly().GetName().Name}.xml");
            if (File.Exists(xml)) o.IncludeXmlComments(xml);
            o.OperationFilter<FormFieldsOperationFilter>();
        });
        return services;
    }

    private static long BodyLimit(ImageLimits images, HttpLimitsOptions http) => 2 * images.MaxBytes + http.FormOverheadBytes;

    /// <summary>The middleware in front of the endpoints, outermost first.</summary>
    public static WebApplication UseMakeupApi(this WebApplication app)
    {
        // First, so the id is in every log line, problem and response header below.
        app.UseMiddleware<RequestIdMiddleware>();
        // Outside the exception handler, so the logged status is the one the client got.
        app.UseSerilogRequestLogging(o =>
        {
            o.MessageTemplate = "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0} ms";
            // Only metadata: never the body, the form fields or the query string (RequestPath excludes it).
            o.EnrichDiagnosticContext = (diagnostics, http) =>
            {
                diagnostics.Set("RequestId", http.TraceIdentifier);
                diagnostics.Set("ContentLength", http.Request.ContentLength);
            };
            // Probes hit the health endpoints every few seconds, and a 503 from /health/ready while warming up is
            // expected: keep them below the default level.
            o.GetLevel = (http, _, exception) =>
                exception is not null ? LogEventLevel.Error
                : http.Request.Path.StartsWithSegments("/health") ? LogEventLevel.Verbose
                : http.Response.StatusCode >= 500 ? LogEventLevel.Error
                : LogEventLevel.Information;
        });
        app.UseExceptionHandler();
        // Turns bare error statuses (404 for an unknown path, 405) into problems too.
        app.UseStatusCodePages();
        app.UseSwagger();
        app.UseSwaggerUI(o => o.DocumentTitle = "MakeupApi");
        return app;
    }
}
