using System.Net;
using System.Text.Json;

namespace MakeupApi.Tests.Http;

internal static class ProblemAssert
{
    /// <summary>Asserts an RFC 9457 problem with the given status and stable code; returns its JSON for further checks.</summary>
    public static async Task<JsonElement> IsProblem(HttpResponseMessage response, HttpStatusCode status, string code, string? subject = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal((int)status, json.GetProperty("status").GetInt32());
        Assert.Equal(code, json.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("title").GetString()));
        // Every problem can be matched to the server's log line by its request id, also sent as X-Request-Id.
        var requestId = json.GetProperty("requestId").GetString();
        Assert.False(string.IsNullOrEmpty(requestId));
        Assert.Equal(requestId, response.Headers.GetValues("X-Request-Id").Single());
        Assert.True(json.TryGetProperty("traceId", out _), "traceId missing");
        if (subject is not null) Assert.Equal(subject, json.GetProperty("subject").GetString());
        return json;
    }
}
