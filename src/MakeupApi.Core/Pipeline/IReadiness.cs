namespace MakeupApi.Pipeline;

/// <summary>Whether every model is loaded and has run once (GET /health/ready).</summary>
public interface IReadiness
{
    bool IsReady { get; }
}
