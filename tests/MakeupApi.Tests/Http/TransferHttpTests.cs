using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using MakeupApi.Imaging;
using MakeupApi.Pipeline;

namespace MakeupApi.Tests.Http;

/// <summary>How /transfer maps form fields and headers to TransferOptions and results to the response (pipeline double).</summary>
public sealed partial class TransferHttpTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private static readonly byte[] Png = TestImages.GreyPng();

    [Fact]
    public async Task Form_fields_reach_the_pipeline_as_transfer_options()
    {
        var pipeline = new RecordingPipeline();
        using var client = factory.WithPipeline(pipeline).CreateClient();
        using var response = await client.PostAsync("/transfer", Form.Transfer(Png, Png,
            ("intensity", "0.5"), ("lips", "0"), ("eyes", "0.25"), ("brows", "1"), ("skin", "0.75"),
            ("sourceFace", "1"), ("referenceFace", "2"), ("engine", "Classical"), ("format", "jpeg")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var o = pipeline.LastOptions!;
        Assert.Equal(0.5f, o.Intensity);
        Assert.Equal(new MakeupApi.Transfer.RegionStrengths(0f, 0.25f, 1f, 0.75f), o.Regions);
        Assert.Equal(1, o.SourceFaceIndex);
        Assert.Equal(2, o.ReferenceFaceIndex);
        Assert.Equal(EngineChoice.Classical, o.Engine);
        Assert.Equal(OutputImageFormat.Jpeg, o.Format);
    }

    [Fact]
    public async Task Blush_has_its_own_strength_and_follows_skin_when_omitted()
    {
        var pipeline = new RecordingPipeline();
        using var client = factory.WithPipeline(pipeline).CreateClient();
        using (var response = await client.PostAsync("/transfer", Form.Transfer(Png, Png, ("skin", "0"), ("blush", "0.6"))))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new MakeupApi.Transfer.RegionStrengths(1f, 1f, 1f, 0f, 0.6f), pipeline.LastOptions!.Regions);
        Assert.Equal(0.6f, pipeline.LastOptions!.Regions.BlushOrSkin);

        using (var response = await client.PostAsync("/transfer", Form.Transfer(Png, Png, ("skin", "0.3"))))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0.3f, pipeline.LastOptions!.Regions.BlushOrSkin);
    }

    [Fact]
    public async Task Omitted_fields_default_to_full_strength_largest_faces_auto_engine_and_png()
    {
        var pipeline = new RecordingPipeline();
        using var client = factory.WithPipeline(pipeline).CreateClient();
        using var response = await client.PostAsync("/transfer", Form.Transfer(Png, Png));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new TransferOptions(), pipeline.LastOptions);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("image/jpeg", null, OutputImageFormat.Jpeg)]
    [InlineData("image/png, image/jpeg;q=0.5", null, OutputImageFormat.Png)]
    [InlineData("image/png;q=0.4, image/jpeg", null, OutputImageFormat.Jpeg)]
    [InlineData("*/*", null, OutputImageFormat.Png)]
    [InlineData("image/jpeg", "png", OutputImageFormat.Png)] // the explicit field wins over Accept
    public async Task Accept_header_chooses_the_format_unless_the_form_names_one(string accept, string? format, OutputImageFormat expected)
    {
        var pipeline = new RecordingPipeline();
        using var client = factory.WithPipeline(pipeline).CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/transfer")
        {
            Content = format is null ? Form.Transfer(Png, Png) : Form.Transfer(Png, Png, ("format", format)),
        };
        request.Headers.Accept.ParseAdd(accept);
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, pipeline.LastOptions!.Format);
    }

    [Fact]
    public async Task Response_carries_server_timing_engine_request_id_and_no_store()
    {
        using var client = factory.WithPipeline(new RecordingPipeline()).CreateClient();
        using var response = await client.PostAsync("/transfer", Form.Transfer(Png, Png));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(RecordingPipeline.ResultBytes, await response.Content.ReadAsByteArrayAsync());
        var timing = response.Headers.GetValues("Server-Timing").Single();
        Assert.Matches(ServerTimingSyntax(), timing);
        Assert.Contains("decode;dur=1.25", timing);
        Assert.Contains("detect;dur=2.5", timing);
        Assert.StartsWith("queue;dur=", timing);
        Assert.Contains("total;dur=", timing);
        Assert.Equal("classical", response.Headers.GetValues("X-Makeup-Engine").Single());
        Assert.Equal(32, response.Headers.GetValues("X-Request-Id").Single().Length);
        Assert.True(response.Headers.CacheControl?.NoStore);
    }

    [Fact]
    public async Task Client_request_id_is_echoed_when_sane_and_replaced_when_not()
    {
        using var client = factory.WithPipeline(new RecordingPipeline()).CreateClient();

        using var sane = new HttpRequestMessage(HttpMethod.Post, "/transfer") { Content = Form.Transfer(Png, Png) };
        sane.Headers.Add("X-Request-Id", "mobile-backend.42:abc_DEF");
        using var saneResponse = await client.SendAsync(sane);
        Assert.Equal("mobile-backend.42:abc_DEF", saneResponse.Headers.GetValues("X-Request-Id").Single());

        using var odd = new HttpRequestMessage(HttpMethod.Get, "/health/live");
        odd.Headers.TryAddWithoutValidation("X-Request-Id", "evil\" id <script>");
        using var oddResponse = await client.SendAsync(odd);
        var replaced = oddResponse.Headers.GetValues("X-Request-Id").Single();
        Assert.NotEqual("evil\" id <script>", replaced);
        Assert.Matches("^[0-9a-f]{32}$", replaced);
    }

    [Fact]
    public async Task Analyze_returns_json_with_server_timing()
    {
        using var client = factory.WithPipeline(new RecordingPipeline()).CreateClient();
        using var response = await client.PostAsync("/analyze", Form.Analyze(Png));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("decode;dur=1", response.Headers.GetValues("Server-Timing").Single());
    }

    /// <summary>W3C Server Timing: comma-separated <c>token;dur=number</c> metrics.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+;dur=\d+(\.\d+)?(, [A-Za-z0-9_.\-]+;dur=\d+(\.\d+)?)*$")]
    private static partial Regex ServerTimingSyntax();
}
