using MakeupApi;
using MakeupApi.Api;
using Serilog;

var builder = WebApplication.CreateBuilder(args);

// Serilog configured from the "Serilog" section (sinks, levels); per-host rather than a static bootstrap logger, so
// tests can start many hosts in one process.
builder.Services.AddSerilog((services, logger) => logger
    .ReadFrom.Configuration(builder.Configuration)
    .ReadFrom.Services(services));

builder.Services.AddFaceAnalysis();
builder.Services.AddMakeupPipeline();
builder.Services.AddMakeupApi();

var app = builder.Build();
app.UseMakeupApi();
app.MapMakeupApi();
app.Run();

/// <summary>Public so the tests' WebApplicationFactory&lt;Program&gt; can start the real host.</summary>
public partial class Program;
