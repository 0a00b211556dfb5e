using System.Text.RegularExpressions;
using MakeupApi.Tests.Support;

namespace MakeupApi.Tests.Unit.Onnx;

/// <summary>
/// ONNX Runtime's C# InferenceSession.Run hands the native run only the RunOptions' handle, so an options object that
/// nothing references any more can be finalised, and its native side freed, while the run still reads it. A test that
/// passed a new RunOptions straight into Run crashed the test host that way (stop 51), so every run goes through
/// OnnxModel.Run, which holds its options to the end. This keeps it so.
/// </summary>
public sealed partial class OnnxModelRunRuleTests
{
    private const string OnnxModelFile = "src/MakeupApi.Core/Onnx/OnnxModel.cs";
    private const string ThisFile = "tests/MakeupApi.Tests/Unit/Onnx/OnnxModelRunRuleTests.cs";

    [Fact]
    public void Sessions_are_run_only_through_OnnxModel_Run()
    {
        var offenders = new List<string>();
        foreach (var folder in new[] { "src", "tests" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(TestPhotos.RepositoryRoot, folder), "*.cs", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(TestPhotos.RepositoryRoot, file).Replace('\\', '/');
                if (relative.Contains("/obj/") || relative.Contains("/bin/") || relative is OnnxModelFile or ThisFile) continue;
                var lines = File.ReadAllLines(file);
                for (int i = 0; i < lines.Length; i++)
                    if (DirectSessionRun().IsMatch(lines[i])) offenders.Add($"{relative}:{i + 1}: {lines[i].Trim()}");
            }
        }
        Assert.True(offenders.Count == 0, "Run the model through OnnxModel.Run instead:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void The_rule_finds_a_direct_session_run()
    {
        Assert.Matches(DirectSessionRun(), "using var outputs = model.Session.Run(new RunOptions(), names, inputs, outputs);");
        Assert.Matches(DirectSessionRun(), "var o = session.Run(options, [\"input\"], [value], [\"output\"]);");
        Assert.DoesNotMatch(DirectSessionRun(), "using var outputs = _model.Run([\"input\"], [input.Value], [\"output\"]);");
    }

    // A Run called on something named session (InferenceSession.Run), or any Run handed a new RunOptions.
    [GeneratedRegex(@"[Ss]ession\s*\.\s*Run\s*\(|\bRun\s*\(\s*new\s+RunOptions\b")]
    private static partial Regex DirectSessionRun();
}
