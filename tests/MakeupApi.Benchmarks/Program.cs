using BenchmarkDotNet.Running;

namespace MakeupApi.Benchmarks;

/// <summary>
/// Every benchmark class in this assembly, chosen on the command line, e.g.
///   dotnet run -c Release --project tests/MakeupApi.Benchmarks -- --filter '*FaceAnalysis*'
///   dotnet run -c Release --project tests/MakeupApi.Benchmarks -- --list flat
/// Add a class with [Benchmark] methods anywhere in this project and it is picked up.
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
