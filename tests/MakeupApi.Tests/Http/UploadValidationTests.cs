using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace MakeupApi.Tests.Http;

/// <summary>What the HTTP layer refuses before any pipeline work (the pipeline is a recording double here).</summary>
public sealed class UploadValidationTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private static readonly byte[] Png = TestImages.GreyPng();

    [Fact]
    public async Task Transfer_without_reference_returns_400_problem_with_code()
    {
        var pipeline = new RecordingPipeline();
        using var client = factory.WithPipeline(pipeline).CreateClient();
        using var response = await client.PostAsync("/transfer", Form.Transfer(Png, null));
        await ProblemAssert.IsProblem(response, HttpStatusCode.BadRequest, "invalid_parameter", subject: "reference");
        Assert.Equal(0, pipeline.Calls);
    }

    [Fact]
    public async Task Analyze_without_image_returns_400_naming_image()
    {
        using var client = factory.WithPipeline(new RecordingPipeline()).CreateClient();
        using var form = new MultipartFormDataContent { { new StringContent("x"), "other" } };
        using var response = await client.PostAsync("/analyze", form);
        await ProblemAssert.IsProblem(response, HttpStatusCode.BadRequest, "invalid_parameter", subject: "image");
    }

    [Fact]
    public async Task Upload_over_byte_limit_returns_413()
    {
        var pipeline = new RecordingPipeline();
        using var client = factory.WithPipeline(pipeline, settings: ("Images:MaxBytes", "4096")).CreateClient();
        var big = TestImages.NoisePng(64, 64); // ~12 KB of incompressible pixels
        Assert.True(big.Length > 4096);
        using var response = await client.PostAsync("/transfer", Form.Transfer(Png, big));
        await ProblemAssert.IsProblem(response, HttpStatusCode.RequestEntityTooLarge, "image_too_large", subject: "reference");
        Assert.Equal(0, pipeline.Calls);
    }

    [Fact]
    public async Task Request_body_over_total_limit_is_refused_while_reading_the_form_with_413()
    {
        // Body cap = 2 x MaxBytes + FormOverheadBytes = 12 KiB here; one 64 KB part exceeds it while the form streams in.
        using var client = factory.WithPipeline(new RecordingPipeline(),
            settings: [("Images:MaxBytes", "4096"), ("Http:FormOverheadBytes", "4096")]).CreateClient();
        using var response = await client.PostAsync("/transfer", Form.Transfer(TestImages.NoisePng(160, 160), Png));
        await ProblemAssert.IsProblem(response, HttpStatusCode.RequestEntityTooLarge, "image_too_large");
    }

    [Fact]
    public async Task Non_image_upload_returns_415()
    {
        var pipeline = new RecordingPipeline();
        using var client = factory.WithPipeline(pipeline).CreateClient();
        var text = Encoding.UTF8.GetBytes("this is not an image, just text pretending to be one");
        using var response = await client.PostAsync("/transfer", Form.Transfer(text, Png));
        await ProblemAssert.IsProblem(response, HttpStatusCode.UnsupportedMediaType, "image_unsupported", subject: "source");
        Assert.Equal(0, pipeline.Calls);
    }

    [Fact]
    public async Task Empty_file_returns_400_naming_it()
    {
        using var client = factory.WithPipeline(new RecordingPipeline()).CreateClient();
        using var response = await client.PostAsync("/transfer", Form.Transfer([], Png));
        await ProblemAssert.IsProblem(response, HttpStatusCode.BadRequest, "invalid_parameter", subject: "source");
    }

    [Fact]
    public async Task Pixel_bomb_header_is_refused_before_decoding_with_413()
    {
        var pipeline = new RecordingPipeline();
        using var client = factory.WithPipeline(pipeline).CreateClient();
        var bomb = TestImages.PngHeaderOnly(100_000, 100_000);
        Assert.True(bomb.Length < 100);
        using var response = await client.PostAsync("/transfer", Form.Transfer(Png, bomb));
        var problem = await ProblemAssert.IsProblem(response, HttpStatusCode.RequestEntityTooLarge, "image_too_many_pixels", subject: "reference");
        Assert.Contains("100000x100000", problem.GetProperty("detail").GetString());
        // Refused in the HTTP layer: the pipeline (and its decoder) never saw it.
        Assert.Equal(0, pipeline.Calls);
    }

    [Theory]
    [InlineData("intensity", "1.5")]
    [InlineData("intensity", "-0.1")]
    [InlineData("intensity", "NaN")]
    [InlineData("lips", "2")]
    [InlineData("skin", "-1")]
    [InlineData("blush", "1.01")]
    [InlineData("sourceFace", "-1")]
    [InlineData("engine", "magic")]
    [InlineData("format", "gif")]
    public async Task Out_of_range_parameter_returns_400_naming_it(string name, string value)
    {
        var pipeline = new RecordingPipeline();
        using var client = factory.WithPipeline(pipeline).CreateClient();
        using var response = await client.PostAsync("/transfer", Form.Transfer(Png, Png, (name, value)));
        await ProblemAssert.IsProblem(response, HttpStatusCode.BadRequest, "invalid_parameter", subject: name);
        Assert.Equal(0, pipeline.Calls);
    }

    [Fact]
    public async Task Unparseable_number_returns_400_invalid_parameter()
    {
        using var client = factory.WithPipeline(new RecordingPipeline()).CreateClient();
        using var response = await client.PostAsync("/transfer", Form.Transfer(Png, Png, ("intensity", "abc")));
        var problem = await ProblemAssert.IsProblem(response, HttpStatusCode.BadRequest, "invalid_parameter");
        Assert.Contains("intensity", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Json_body_returns_415_problem()
    {
        using var client = factory.WithPipeline(new RecordingPipeline()).CreateClient();
        using var response = await client.PostAsync("/transfer", new StringContent("{}", Encoding.UTF8, "application/json"));
        await ProblemAssert.IsProblem(response, HttpStatusCode.UnsupportedMediaType, "invalid_request");
    }

    [Fact]
    public async Task Malformed_multipart_body_returns_400_problem()
    {
        using var client = factory.WithPipeline(new RecordingPipeline()).CreateClient();
        var content = new ByteArrayContent("--xyz\r\nnot a part header at all"u8.ToArray());
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=xyz");
        using var response = await client.PostAsync("/transfer", content);
        await ProblemAssert.IsProblem(response, HttpStatusCode.BadRequest, "invalid_request");
    }
}
