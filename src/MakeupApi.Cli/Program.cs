using MakeupApi.Cli;

// makeupapi-cli: the project's own tools (model fitting, evaluation, training-data preparation).
return new CliApp(
    [FitLandmarksCommand.Command, EvaluateParsingCommand.Command, EvaluateMouthCommand.Command, PrepareTrainingDataCommand.Command, CompareEnginesCommand.Command],
    Console.Out, Console.Error).Run(args);
