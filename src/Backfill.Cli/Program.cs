using System.Runtime.InteropServices;
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

// SIGTERM (service managers, `kill PID`, container stops) asks for the same clean stop; a second one terminates.
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    if (!cancellation.IsCancellationRequested)
    {
        context.Cancel = true;
        Console.Error.WriteLine("Stopping after the work in flight (SIGTERM)... (send it again to abort at once)");
        cancellation.Cancel();
    }
});

return await CliApp.RunAsync(args, CliEnvironment.FromProcess(), cancellation.Token);
