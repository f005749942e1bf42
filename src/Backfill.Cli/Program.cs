using Backfill.Cli;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl-C asks for a clean stop (finish the sub-unit in flight); a second one kills.
    if (!cancellation.IsCancellationRequested)
    {
        e.Cancel = true;
        Console.Error.WriteLine("Stopping after the work in flight... (press Ctrl-C again to abort at once)");
        cancellation.Cancel();
    }
};

return await CliApp.RunAsync(args, CliEnvironment.FromProcess(), cancellation.Token);
