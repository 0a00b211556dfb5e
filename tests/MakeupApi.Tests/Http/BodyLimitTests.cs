using System.Net;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace MakeupApi.Tests.Http;

/// <summary>The request-body cap (2 x Images:MaxBytes + Http:FormOverheadBytes) on a real Kestrel server.</summary>
public sealed class BodyLimitTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private static readonly (string, string)[] SmallLimits = [("Images:MaxBytes", "4096"), ("Http:FormOverheadBytes", "4096")];

    [Fact]
    public void Kestrel_and_form_limits_follow_the_image_limits()
    {
        using var app = factory.WithPipeline(new RecordingPipeline(), settings: SmallLimits);
        Assert.Equal(2 * 4096 + 4096, app.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits.MaxRequestBodySize);
        Assert.Equal(2 * 4096 + 4096, app.Services.GetRequiredService<IOptions<FormOptions>>().Value.MultipartBodyLengthLimit);
    }

    [Fact]
    public async Task Oversized_body_is_refused_by_kestrel_with_413_problem()
    {
        await using var app = factory.WithPipeline(new RecordingPipeline(), settings: SmallLimits);
        app.UseKestrel(0);
        app.StartServer();
        using var client = app.CreateClient();

        using var response = await client.PostAsync("/transfer", Form.Transfer(TestImages.NoisePng(200, 200), TestImages.GreyPng()));
        await ProblemAssert.IsProblem(response, HttpStatusCode.RequestEntityTooLarge, "image_too_large");
    }
}
