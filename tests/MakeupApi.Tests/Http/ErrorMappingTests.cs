using System.Net;
using MakeupApi.Errors;

namespace MakeupApi.Tests.Http;

/// <summary>How failures become problems: stable codes, right statuses, nothing internal leaked.</summary>
public sealed class ErrorMappingTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private static readonly byte[] Png = TestImages.GreyPng();

    public static TheoryData<MakeupError, string?, HttpStatusCode, string> PipelineErrors => new()
    {
        { MakeupError.NoFace, "reference", HttpStatusCode.UnprocessableEntity, "no_face" },
        { MakeupError.FaceTooSmall, "source", HttpStatusCode.UnprocessableEntity, "face_too_small" },
        { MakeupError.ImageCorrupt, "source", HttpStatusCode.BadRequest, "image_corrupt" },
        { MakeupError.ImageTooManyPixels, "reference", HttpStatusCode.RequestEntityTooLarge, "image_too_many_pixels" },
        { MakeupError.EngineUnavailable, null, HttpStatusCode.UnprocessableEntity, "engine_unavailable" },
    };

    [Theory]
    [MemberData(nameof(PipelineErrors))]
    public async Task Pipeline_errors_map_to_their_status_code_and_subject(MakeupError error, string? subject, HttpStatusCode status, string code)
    {
        using var client = factory.WithPipeline(new ThrowingPipeline(new MakeupException(error, "explained", subject))).CreateClient();
        using var response = await client.PostAsync("/transfer", Form.Transfer(Png, Png));
        var problem = await ProblemAssert.IsProblem(response, status, code, subject);
        Assert.Equal("explained", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Busy_pipeline_returns_429_with_retry_after()
    {
        using var client = factory.WithPipeline(new ThrowingPipeline(new MakeupException(MakeupError.Busy, "busy")),
            settings: ("Concurrency:RetryAfterSeconds", "7")).CreateClient();
        using var response = await client.PostAsync("/transfer", Form.Transfer(Png, Png));
        await ProblemAssert.IsProblem(response, HttpStatusCode.TooManyRequests, "busy");
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Unhandled_exception_returns_500_problem_without_stack_trace()
    {
        const string secret = "connection string Password=hunter2 in /srv/secret/path";
        using var client = factory.WithPipeline(new ThrowingPipeline(new InvalidOperationException(secret))).CreateClient();
        using var response = await client.PostAsync("/transfer", Form.Transfer(Png, Png));
        var problem = await ProblemAssert.IsProblem(response, HttpStatusCode.InternalServerError, "internal_error");
        var body = problem.GetRawText();
        Assert.DoesNotContain("hunter2", body);
        Assert.DoesNotContain("InvalidOperationException", body);
        Assert.DoesNotContain(" at ", body);
        Assert.DoesNotContain(".cs:line", body);
    }

    [Fact]
    public async Task Unknown_path_returns_404_problem()
    {
        using var client = factory.WithPipeline(new RecordingPipeline()).CreateClient();
        using var response = await client.GetAsync("/no-such-thing");
        await ProblemAssert.IsProblem(response, HttpStatusCode.NotFound, "not_found");
    }
}
