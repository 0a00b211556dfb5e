using MakeupApi.Cli;

// makeupapi-cli: the project's own tools (model fitting, evaluation, training-data preparation).
var commands = new Dictionary<string, Func<string[], int>>
{
    ["fit-landmarks"] = FitLandmarksCommand.Run,
    ["eval-parsing"] = EvaluateParsingCommand.Run,
    ["prepare-training-data"] = PrepareTrainingDataCommand.Run,
    ["compare-engines"] = CompareEnginesCommand.Run,
};

if (args.Length == 0 || !commands.TryGetValue(args[0], out var command))
{
    Console.Error.WriteLine("usage: makeupapi-cli <command> [options]\ncommands: " + string.Join(", ", commands.Keys));
    return 2;
}
return command(args[1..]);
