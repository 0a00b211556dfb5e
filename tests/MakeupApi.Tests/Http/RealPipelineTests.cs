using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using OpenCvSharp;

namespace MakeupApi.Tests.Http;

/// <summary>
/// End to end through the real pipeline and models (onnx-models/) on real photos from ../shared/data.
/// One host for the class: the models load once.
/// </summary>
public sealed partial class RealPipelineTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Transfer_of_two_real_photos_returns_png_of_source_size_with_server_timing()
    {
        var source = TestImages.NonMakeupPhoto();
        var reference = TestImages.MakeupPhoto();
        using var client = factory.CreateClient();
        using var response = await client.PostAsync("/transfer", Form.Transfer(source, reference));

        await AssertOk(response);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        using var result = Cv2.ImDecode(bytes, ImreadModes.Color);
        using var original = Cv2.ImDecode(source, ImreadModes.Color);
        Assert.False(result.Empty(), "response is not a decodable image");
        Assert.Equal(original.Size(), result.Size());

        var timing = response.Headers.GetValues("Server-Timing").Single();
        Assert.Matches(ServerTimingSyntax(), timing);
        Assert.Contains("decode-source;dur=", timing);
        Assert.Contains("total;dur=", timing);
        Assert.True(timing.Split(", ").Length >= 4, $"expected the pipeline's stages in Server-Timing, got: {timing}");
        Assert.False(string.IsNullOrEmpty(response.Headers.GetValues("X-Makeup-Engine").Single()));
        Assert.False(string.IsNullOrEmpty(response.Headers.GetValues("X-Request-Id").Single()));

        // The makeup changed something, and the photo is still the source (not the reference).
        using var diff = new Mat();
        Cv2.Absdiff(result, original, diff);
        Assert.True(Cv2.Mean(diff).Val0 + Cv2.Mean(diff).Val1 + Cv2.Mean(diff).Val2 > 0.05, "transfer left the source unchanged");
    }

    [Fact]
    public async Task Jpeg_requested_returns_jpeg()
    {
        using var client = factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/transfer")
        {
            Content = Form.Transfer(TestImages.NonMakeupPhoto(1), TestImages.MakeupPhoto(1)),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("image/jpeg"));
        using var response = await client.SendAsync(request);

        await AssertOk(response);
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(bytes is [0xFF, 0xD8, 0xFF, ..], "body does not start with a JPEG SOI marker");
    }

    [Fact]
    public async Task Analyze_returns_68_landmarks_per_face()
    {
        var photo = TestImages.NonMakeupPhoto();
        using var client = factory.CreateClient();
        using var response = await client.PostAsync("/analyze", Form.Analyze(photo));

        await AssertOk(response);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        using var original = Cv2.ImDecode(photo, ImreadModes.Color);
        Assert.Equal(original.Width, json.GetProperty("width").GetInt32());
        Assert.Equal(original.Height, json.GetProperty("height").GetInt32());
        var faces = json.GetProperty("faces").EnumerateArray().ToArray();
        Assert.NotEmpty(faces);
        foreach (var face in faces)
        {
            var landmarks = face.GetProperty("landmarks68").EnumerateArray().ToArray();
            Assert.Equal(68, landmarks.Length);
            Assert.All(landmarks, p => Assert.Equal(2, p.GetArrayLength()));
            // Landmarks lie inside the photo.
            Assert.All(landmarks, p =>
            {
                Assert.InRange(p[0].GetDouble(), -0.05 * original.Width, 1.05 * original.Width);
                Assert.InRange(p[1].GetDouble(), -0.05 * original.Height, 1.05 * original.Height);
            });
        }
    }

    [Fact]
    public async Task No_face_in_reference_returns_422_naming_reference()
    {
        using var client = factory.CreateClient();
        using var response = await client.PostAsync("/transfer", Form.Transfer(TestImages.NonMakeupPhoto(), TestImages.GreyPng(320, 320)));
        await ProblemAssert.IsProblem(response, HttpStatusCode.UnprocessableEntity, "no_face", subject: "reference");
    }

    [Fact]
    public async Task A_black_and_white_or_sepia_reference_is_refused_as_a_reference_without_colour()
    {
        using var client = factory.CreateClient();
        foreach (var toned in new[] { Monochrome(TestImages.MakeupPhoto(), sepia: false), Monochrome(TestImages.MakeupPhoto(), sepia: true) })
        {
            using var response = await client.PostAsync("/transfer", Form.Transfer(TestImages.NonMakeupPhoto(), toned));
            var problem = await ProblemAssert.IsProblem(response, HttpStatusCode.UnprocessableEntity, "reference_without_colour", subject: "reference");
            Assert.Contains("colour photo", problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task A_black_and_white_source_still_gets_the_references_makeup()
    {
        using var client = factory.CreateClient();
        using var response = await client.PostAsync("/transfer", Form.Transfer(Monochrome(TestImages.NonMakeupPhoto(), sepia: false), TestImages.MakeupPhoto()));
        await AssertOk(response);
    }

    /// <summary>The photo in grey, or toned sepia: a*, b* a function of lightness alone (warm shadows to cream lights).</summary>
    private static byte[] Monochrome(byte[] photo, bool sepia)
    {
        using var colour = Cv2.ImDecode(photo, ImreadModes.Color);
        using var grey = new Mat();
        Cv2.CvtColor(colour, grey, ColorConversionCodes.BGR2GRAY);
        using var bgr = new Mat();
        Cv2.CvtColor(grey, bgr, ColorConversionCodes.GRAY2BGR);
        if (sepia)
        {
            // Per channel gains on the grey: blue 0.75, green 0.9, red 1.05 (a brown tone).
            double[] gains = [0.75, 0.9, 1.05];
            var channels = bgr.Split();
            try
            {
                for (int c = 0; c < 3; c++) channels[c].ConvertTo(channels[c], MatType.CV_8UC1, gains[c]);
                using var toned = new Mat();
                Cv2.Merge(channels, toned);
                return toned.ImEncode(".png");
            }
            finally
            {
                foreach (var channel in channels) channel.Dispose();
            }
        }
        return bgr.ImEncode(".png");
    }

    [Fact]
    public async Task Corrupt_png_returns_400()
    {
        using var client = factory.CreateClient();
        using var response = await client.PostAsync("/transfer", Form.Transfer(TestImages.CorruptPng(), TestImages.MakeupPhoto()));
        await ProblemAssert.IsProblem(response, HttpStatusCode.BadRequest, "image_corrupt", subject: "source");
    }

    [Fact]
    public async Task Ready_turns_200_once_the_models_are_warm()
    {
        using var client = factory.CreateClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        HttpStatusCode status;
        do
        {
            using var response = await client.GetAsync("/health/ready");
            status = response.StatusCode;
            if (status == HttpStatusCode.OK) break;
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task Models_lists_the_loaded_onnx_models()
    {
        using var client = factory.CreateClient();
        using var response = await client.GetAsync("/models");
        await AssertOk(response);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var files = json.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("file").GetString()).ToArray();
        Assert.Contains(files, f => f!.EndsWith("blazeface-back.onnx", StringComparison.Ordinal));
        Assert.Contains(files, f => f!.EndsWith("facemesh.onnx", StringComparison.Ordinal));
        Assert.Contains("classical", json.GetProperty("engines").EnumerateArray().Select(e => e.GetString()));
    }

    private static async Task AssertOk(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.OK)
            Assert.Fail($"Expected 200, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+;dur=\d+(\.\d+)?(, [A-Za-z0-9_.\-]+;dur=\d+(\.\d+)?)*$")]
    private static partial Regex ServerTimingSyntax();
}
