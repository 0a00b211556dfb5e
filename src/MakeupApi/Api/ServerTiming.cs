using System.Globalization;
using System.Text;
using MakeupApi.Pipeline;

namespace MakeupApi.Api;

/// <summary>
/// Formats stage timings as a Server-Timing header (W3C Server Timing: <c>name;dur=milliseconds</c>, comma-separated),
/// which browser dev tools show next to the request and which load tests can read without parsing logs.
/// </summary>
internal static class ServerTiming
{
    public const string Header = "Server-Timing";

    public static string Format(IEnumerable<StageTiming> timings)
    {
        var sb = new StringBuilder();
        foreach (var t in timings)
        {
            if (sb.Length > 0) sb.Append(", ");
            sb.Append(Token(t.Name)).Append(";dur=")
              .Append(Math.Max(0, t.Milliseconds).ToString("0.###", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>Metric names must be RFC 9110 tokens; stage names are ours, but a space or comma would break the header.</summary>
    private static string Token(string name)
    {
        if (string.IsNullOrEmpty(name)) return "stage";
        var chars = name.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
            if (!(char.IsAsciiLetterOrDigit(chars[i]) || chars[i] is '-' or '_' or '.')) chars[i] = '_';
        return new string(chars);
    }
}
