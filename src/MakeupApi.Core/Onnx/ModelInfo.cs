namespace MakeupApi.Onnx;

public sealed record TensorInfo(string Name, int[] Shape, string ElementType);

/// <summary>What is loaded, for GET /models.</summary>
public sealed record ModelInfo(
    string Name,
    string File,
    string Sha256,
    IReadOnlyList<TensorInfo> Inputs,
    IReadOnlyList<TensorInfo> Outputs,
    string ExecutionProvider,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>Every model owner registers here so the API can list what is loaded.</summary>
public interface IModelCatalog
{
    IReadOnlyList<ModelInfo> Models { get; }
}
