using System.Security.Cryptography;
using Microsoft.ML.OnnxRuntime;

namespace MakeupApi.Onnx;

/// <summary>
/// One ONNX file opened once: the session, its checksum and a description of its tensors. Model owner classes hold
/// one of these, check its metadata in their constructor, and call <see cref="Session"/>.Run concurrently
/// (InferenceSession.Run is thread-safe; ONNX Runtime docs, "Thread safety").
/// </summary>
public sealed class OnnxModel : IDisposable
{
    public InferenceSession Session { get; }
    public ModelInfo Info { get; }

    public OnnxModel(string name, string path, ModelOptions options)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"Model '{name}' not found at '{path}'. Set Models:Directory (or Models__Directory) to the folder holding the .onnx files.", path);

        using var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        var provider = "CPUExecutionProvider";
        if (options.ExecutionProvider == ExecutionProviderKind.Cuda)
        {
            // Throws when the native CUDA provider is absent (CPU package): the service must not silently run on CPU
            // when the operator asked for the GPU.
            sessionOptions.AppendExecutionProvider_CUDA();
            provider = "CUDAExecutionProvider";
        }

        Session = new InferenceSession(path, sessionOptions);
        string sha;
        using (var stream = File.OpenRead(path)) sha = Convert.ToHexStringLower(SHA256.HashData(stream));

        Info = new ModelInfo(name, Path.GetFileName(path), sha,
            Describe(Session.InputMetadata), Describe(Session.OutputMetadata), provider,
            Session.ModelMetadata.CustomMetadataMap.ToDictionary(kv => kv.Key, kv => kv.Value));
    }

    /// <summary>
    /// One run of the session. Callers use this, not <see cref="InferenceSession"/>'s own Run, so that the
    /// run's options live until the run has ended: ONNX Runtime's C# Run hands the native OrtRun only the options'
    /// handle, and an options object that nothing references any more may be finalised, freeing its native side, while
    /// the run still reads its settings. A test that passed `new RunOptions()` straight into Run crashed the
    /// test host that way (stop 51: a segfault in libonnxruntime's string-map lookup, reproduced with fully optimised
    /// JIT code and a collecting thread). Safe to call concurrently.
    /// </summary>
    public IDisposableReadOnlyCollection<OrtValue> Run(IReadOnlyCollection<string> inputNames, IReadOnlyCollection<OrtValue> inputs,
        IReadOnlyCollection<string> outputNames)
    {
        using var runOptions = new RunOptions();
        var outputs = Session.Run(runOptions, inputNames, inputs, outputNames);
        // The inputs' and the session's handles were all the native side saw, too.
        GC.KeepAlive(inputs);
        GC.KeepAlive(Session);
        return outputs;
    }

    /// <summary>Fails fast, with a message naming the model, when a tensor is missing or shaped differently.</summary>
    public void RequireInput(string tensor, params int[] shape) => Require(Session.InputMetadata, "input", tensor, shape);

    public void RequireOutput(string tensor, params int[] shape) => Require(Session.OutputMetadata, "output", tensor, shape);

    private void Require(IReadOnlyDictionary<string, NodeMetadata> metadata, string kind, string tensor, int[] shape)
    {
        if (!metadata.TryGetValue(tensor, out var node))
            throw new InvalidDataException(
                $"Model '{Info.Name}' ({Info.File}) has no {kind} '{tensor}'; it has: {string.Join(", ", metadata.Keys)}.");
        var actual = node.Dimensions;
        // -1 in the expected shape accepts any size (a dynamic batch axis, say); a dynamic axis in the model accepts anything.
        bool matches = actual.Length == shape.Length &&
                       actual.Zip(shape).All(p => p.Second == -1 || p.First <= 0 || p.First == p.Second);
        if (!matches)
            throw new InvalidDataException(
                $"Model '{Info.Name}' ({Info.File}) {kind} '{tensor}' has shape [{string.Join(",", actual)}], expected [{string.Join(",", shape)}].");
    }

    private static IReadOnlyList<TensorInfo> Describe(IReadOnlyDictionary<string, NodeMetadata> metadata) =>
        metadata.Select(kv => new TensorInfo(kv.Key, kv.Value.Dimensions, kv.Value.ElementDataType.ToString())).ToList();

    public void Dispose() => Session.Dispose();
}
