using System.Net;
using MakeupApi.Api;
using Microsoft.Extensions.DependencyInjection;

namespace MakeupApi.Tests.Http;

/// <summary>The limiter in front of the pipeline: bounded concurrency, bounded queue, 429 beyond.</summary>
public sealed class ConcurrencyTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private static readonly byte[] Png = TestImages.GreyPng();
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Request_beyond_concurrency_and_queue_returns_429_with_retry_after()
    {
        using var pipeline = new BlockingPipeline();
        await using var app = factory.WithPipeline(pipeline, settings:
            [("Concurrency:MaxConcurrent", "1"), ("Concurrency:QueueLimit", "0"), ("Concurrency:RetryAfterSeconds", "3")]);
        using var client = app.CreateClient();

        var first = client.PostAsync("/transfer", Form.Transfer(Png, Png));
        Assert.True(await pipeline.Entered.WaitAsync(Wait), "first request never reached the pipeline");

        using var refused = await client.PostAsync("/transfer", Form.Transfer(Png, Png));
        await ProblemAssert.IsProblem(refused, HttpStatusCode.TooManyRequests, "busy");
        Assert.Equal(TimeSpan.FromSeconds(3), refused.Headers.RetryAfter?.Delta);

        pipeline.Release();
        using var firstResponse = await first;
        Assert.Equal(HttpStatusCode.OK, firstResponse.StatusCode);
    }

    [Fact]
    public async Task Queued_request_waits_for_a_free_slot_and_then_succeeds()
    {
        using var pipeline = new BlockingPipeline();
        await using var app = factory.WithPipeline(pipeline, settings:
            [("Concurrency:MaxConcurrent", "1"), ("Concurrency:QueueLimit", "1")]);
        using var client = app.CreateClient();
        var gate = app.Services.GetRequiredService<PipelineGate>();

        var first = client.PostAsync("/transfer", Form.Transfer(Png, Png));
        Assert.True(await pipeline.Entered.WaitAsync(Wait));
        var second = client.PostAsync("/transfer", Form.Transfer(Png, Png));
        await WaitUntil(() => gate.QueuedCount == 1);

        using var third = await client.PostAsync("/transfer", Form.Transfer(Png, Png));
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);

        pipeline.Release();
        using var firstResponse = await first;
        using var secondResponse = await second;
        Assert.Equal(HttpStatusCode.OK, firstResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, secondResponse.StatusCode);
    }

    [Fact]
    public async Task Invalid_uploads_are_refused_without_taking_a_slot()
    {
        using var pipeline = new BlockingPipeline();
        await using var app = factory.WithPipeline(pipeline, settings:
            [("Concurrency:MaxConcurrent", "1"), ("Concurrency:QueueLimit", "0")]);
        using var client = app.CreateClient();

        var first = client.PostAsync("/transfer", Form.Transfer(Png, Png));
        Assert.True(await pipeline.Entered.WaitAsync(Wait));
        // With the only slot taken, a bad upload still gets its own error, not 429.
        using var bad = await client.PostAsync("/transfer", Form.Transfer(Png, null));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        pipeline.Release();
        (await first).Dispose();
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(10);
        }
    }
}
