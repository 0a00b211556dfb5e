using System.Net.Http.Headers;
using MakeupApi.Pipeline;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MakeupApi.Tests.Http;

/// <summary>
/// The real host (Program) as clients see it: Production environment, so no developer exception page can hide how
/// errors really look, and quiet logs. Tests that are about the HTTP layer swap in a pipeline double with
/// <see cref="WithPipeline"/>; everything else is the real registration.
/// </summary>
public sealed class ApiFactory : WebApplicationFactory<Program>
{
    // With minimal hosting the factory catches the host that Program's entry point builds through a process-wide
    // diagnostic listener, and hosts built at the same time by parallel test classes are a known race (other projects
    // serialise host creation for it, e.g. FastEndpoints #1120), so hosts are built one at a time; the requests they
    // then serve still run in parallel. (Stop 22 blamed this race for a ConcurrencyTests failure; its timing in stop 23
    // showed thread-pool starvation instead, see BlockingPipeline.)
    private static readonly Lock HostBuild = new();

    protected override IHost CreateHost(IHostBuilder builder)
    {
        lock (HostBuild) return base.CreateHost(builder);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
    }

    /// <summary>A host whose IMakeupPipeline (and optionally IReadiness) is a test double, with extra settings.</summary>
    public WebApplicationFactory<Program> WithPipeline(IMakeupPipeline? pipeline, IReadiness? readiness = null,
        params (string Key, string Value)[] settings) =>
        WithWebHostBuilder(b =>
        {
            foreach (var (key, value) in settings) b.UseSetting(key, value);
            b.ConfigureTestServices(services =>
            {
                if (pipeline is not null) services.AddSingleton(pipeline);
                if (readiness is not null) services.AddSingleton(readiness);
            });
        });
}

/// <summary>Builds multipart requests the way clients send them.</summary>
internal static class Form
{
    public static MultipartFormDataContent Transfer(byte[]? source, byte[]? reference, params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        if (source is not null) form.Add(File(source), "source", "source.png");
        if (reference is not null) form.Add(File(reference), "reference", "reference.png");
        foreach (var (name, value) in fields) form.Add(new StringContent(value), name);
        return form;
    }

    public static MultipartFormDataContent Analyze(byte[] image)
    {
        var form = new MultipartFormDataContent();
        form.Add(File(image), "image", "image.png");
        return form;
    }

    private static ByteArrayContent File(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        // What browsers often send for any file: the server must sniff, not trust this.
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }
}
