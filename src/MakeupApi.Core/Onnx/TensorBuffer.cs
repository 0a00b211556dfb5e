using System.Buffers;
using Microsoft.ML.OnnxRuntime;

namespace MakeupApi.Onnx;

/// <summary>
/// A float tensor over a buffer rented from the shared pool, wrapped as an OrtValue without copying.
/// Dispose order matters: the OrtValue (which pins the memory) goes first, then the buffer returns to the pool.
/// </summary>
internal sealed class TensorBuffer : IDisposable
{
    private float[]? _array;
    public OrtValue Value { get; }
    public int Length { get; }

    public TensorBuffer(params long[] shape)
    {
        long count = 1;
        foreach (var d in shape) count *= d;
        Length = checked((int)count);
        _array = ArrayPool<float>.Shared.Rent(Length);
        Value = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(_array, 0, Length), shape);
    }

    public Span<float> Span => _array.AsSpan(0, Length);

    public void Dispose()
    {
        Value.Dispose();
        if (_array is not null) ArrayPool<float>.Shared.Return(_array);
        _array = null;
    }
}
