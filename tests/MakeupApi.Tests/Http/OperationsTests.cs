using System.Net;
using System.Text.Json;

namespace MakeupApi.Tests.Http;

/// <summary>Health, readiness, model listing, the OpenAPI document and the root redirect.</summary>
public sealed class OperationsTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Health_live_is_200()
    {
        using var client = factory.WithPipeline(null, new FixedReadiness(false)).CreateClient();
        using var response = await client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Ready_is_503_until_warm()
    {
        using (var client = factory.WithPipeline(null, new FixedReadiness(false)).CreateClient())
        {
            using var response = await client.GetAsync("/health/ready");
            await ProblemAssert.IsProblem(response, HttpStatusCode.ServiceUnavailable, "not_ready");
        }
        using (var client = factory.WithPipeline(null, new FixedReadiness(true)).CreateClient())
        {
            using var response = await client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Models_lists_models_and_available_engines()
    {
        using var client = factory.WithPipeline(new RecordingPipeline()).CreateClient();
        using var response = await client.GetAsync("/models");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(JsonValueKind.Array, json.GetProperty("models").ValueKind);
        Assert.Equal(["classical"], json.GetProperty("engines").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Root_redirects_to_swagger_ui()
    {
        using var client = factory.WithPipeline(new RecordingPipeline())
            .CreateClient(new() { AllowAutoRedirect = false });
        using var response = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/swagger", response.Headers.Location?.OriginalString);

        using var ui = await client.GetAsync("/swagger/index.html");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
    }

    [Fact]
    public async Task Swagger_document_describes_multipart_file_fields()
    {
        using var client = factory.WithPipeline(new RecordingPipeline()).CreateClient();
        using var response = await client.GetAsync("/swagger/v1/swagger.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        var transfer = MultipartSchema(doc, "/transfer");
        foreach (var file in new[] { "source", "reference" })
        {
            var property = transfer.GetProperty("properties").GetProperty(file);
            Assert.Equal("string", property.GetProperty("type").GetString());
            Assert.Equal("binary", property.GetProperty("format").GetString());
        }
        Assert.Equal(["reference", "source"], transfer.GetProperty("required").EnumerateArray().Select(e => e.GetString()).Order());
        var properties = transfer.GetProperty("properties");
        foreach (var field in new[] { "intensity", "lips", "eyes", "brows", "skin", "blush" })
        {
            Assert.Equal("number", properties.GetProperty(field).GetProperty("type").GetString());
            Assert.Equal(0, properties.GetProperty(field).GetProperty("minimum").GetDouble());
            Assert.Equal(1, properties.GetProperty(field).GetProperty("maximum").GetDouble());
        }
        Assert.Equal(["auto", "classical", "generator"],
            properties.GetProperty("engine").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["png", "jpeg"], properties.GetProperty("format").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));

        var ok = doc.GetProperty("paths").GetProperty("/transfer").GetProperty("post").GetProperty("responses").GetProperty("200").GetProperty("content");
        Assert.True(ok.TryGetProperty("image/png", out _));
        Assert.True(ok.TryGetProperty("image/jpeg", out _));

        var analyze = MultipartSchema(doc, "/analyze");
        Assert.Equal("binary", analyze.GetProperty("properties").GetProperty("image").GetProperty("format").GetString());
    }

    private static JsonElement MultipartSchema(JsonElement doc, string path) =>
        doc.GetProperty("paths").GetProperty(path).GetProperty("post").GetProperty("requestBody")
            .GetProperty("content").GetProperty("multipart/form-data").GetProperty("schema");
}
