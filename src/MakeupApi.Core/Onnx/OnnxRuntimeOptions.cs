using System.ComponentModel.DataAnnotations;

namespace MakeupApi.Onnx;

public enum ExecutionProviderKind { Cpu, Cuda }

/// <summary>Where the models are and how ONNX Runtime runs them; configuration section "Models".</summary>
public sealed record ModelOptions
{
    public const string Section = "Models";

    /// <summary>Folder holding the .onnx files and manifest.json; relative paths resolve against the app's base directory.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Directory { get; init; } = "onnx-models";

    [Required(AllowEmptyStrings = false)] public string Detector { get; init; } = "blazeface-back.onnx";
    [Required(AllowEmptyStrings = false)] public string FaceMesh { get; init; } = "facemesh.onnx";
    [Required(AllowEmptyStrings = false)] public string Iris { get; init; } = "iris.onnx";
    /// <summary>Optional: the generator engine is offered only when this file exists.</summary>
    public string Generator { get; init; } = "psgan-generator.onnx";

    /// <summary>Cpu (default) or Cuda; Cuda needs the service built with -p:OnnxExecutionProvider=Cuda.</summary>
    public ExecutionProviderKind ExecutionProvider { get; init; } = ExecutionProviderKind.Cpu;

    /// <summary>Threads ONNX Runtime may use inside one Run call; 0 lets it choose (one per core).</summary>
    [Range(0, 64)] public int IntraOpThreads { get; init; } = 1;

    public string Resolve(string file)
    {
        var dir = Path.IsPathRooted(Directory) ? Directory : FindUpwards(Directory);
        return Path.Combine(dir, file);
    }

    /// <summary>
    /// A relative model folder is looked for next to the app, then in the parents of the working directory and of the
    /// app: `dotnet run` and the tests start deep inside bin/, while the models live at the repository root.
    /// </summary>
    private static string FindUpwards(string relative)
    {
        foreach (var start in new[] { AppContext.BaseDirectory, System.IO.Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, relative);
                if (System.IO.Directory.Exists(candidate)) return candidate;
            }
        }
        return Path.Combine(AppContext.BaseDirectory, relative);
    }
}
