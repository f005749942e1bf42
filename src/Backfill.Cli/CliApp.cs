using System.CommandLine;
using Backfill.Cli.Commands;
using Backfill.Core.Errors;

namespace Backfill.Cli;

/// <summary>Builds the <c>backfill</c> command tree and turns outcomes into exit codes.</summary>
internal static class CliApp
{
    public static RootCommand Build(CliEnvironment environment)
    {
        var root = new RootCommand(
            "Backfill downloads historical market data, checks it against the exchange calendar, and stores it as verified Parquet files.");
        foreach (var option in GlobalOptions.All)
        {
            root.Options.Add(option);
        }

        root.Subcommands.Add(ConfigCommands.Build(environment));
        root.Subcommands.Add(GapsCommand.Build(environment));
        root.Subcommands.Add(ListCommand.Build(environment));
        root.Subcommands.Add(StatusCommand.Build(environment));
        foreach (var command in ProcessCommands.Build(environment))
        {
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(CalendarCommand.Build(environment));
        root.Subcommands.Add(DemoCommand.Build(environment));
        root.Subcommands.Add(SimulateCommand.Build(environment));
        root.Subcommands.Add(VerifyCommand.Build(environment));
        root.Subcommands.Add(ExportCommand.Build(environment));
        root.Subcommands.Add(CleanupCommand.Build(environment));
        root.Subcommands.Add(HealthCommand.Build(environment));
        root.Subcommands.Add(KeysCommand.Build(environment));
        root.Subcommands.Add(BackupCommand.Build(environment));
        root.Subcommands.Add(RecoverCommand.Build(environment));
        root.Subcommands.Add(WorkerCommand.Build(environment));
        root.Subcommands.Add(ServeCommand.Build(environment));
        root.Subcommands.Add(LedgerCommands.Build(environment));
        root.Subcommands.Add(ErrorsCommand.Build(environment));
        root.Subcommands.Add(AlertsCommand.Build(environment));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken)
    {
        var root = Build(environment);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await environment.Error.WriteLineAsync($"error: {error.Message}");
            }

            await environment.Error.WriteLineAsync("Run 'backfill --help' (or 'backfill <command> --help') for usage.");
            return ExitCodes.BadInput;
        }

        var verbose = parse.GetValue(GlobalOptions.Verbose);
        try
        {
            var invocation = new InvocationConfiguration
            {
                Output = environment.Out,
                Error = environment.Error,
                EnableDefaultExceptionHandler = false,

                // Ctrl-C is handled in Program: the first asks for a clean stop, which may take longer than a fixed timeout.
                ProcessTerminationTimeout = null,
            };
            return await parse.InvokeAsync(invocation, cancellationToken);
        }
        catch (InvalidInputException e)
        {
            await environment.Error.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (EnvironmentProblemException e)
        {
            await environment.Error.WriteLineAsync($"error: {e.Message}");
            if (verbose && e.InnerException is not null)
            {
                await environment.Error.WriteLineAsync(e.InnerException.ToString());
            }

            return ExitCodes.Environment;
        }
        catch (BackfillException e) when (e.Kind is ErrorKind.InsufficientDisk or ErrorKind.TerminalNotRunning or ErrorKind.ConnectionFailed || e is Backfill.ObjectStorage.ObjectStoreAccessException)
        {
            await environment.Error.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.Environment;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await environment.Error.WriteLineAsync("Stopped. Work done so far is kept; run the same command again to resume.");
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (Backfill.Ledger.Sqlite.SqliteLedgerFile.IsDamage(e))
        {
            // Found after the ledger opened (a damaged page read later): the same message as at opening.
            await environment.Error.WriteLineAsync($"error: {SharedLedger.DamagedMessage(SharedLedger.DescribeFile(parse, environment), e.Message)}");
            return ExitCodes.Environment;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            await environment.Error.WriteLineAsync($"error: {e.Message}");
            await environment.Error.WriteLineAsync(verbose ? e.ToString() : "Run again with --verbose for details.");
            return ExitCodes.Failed;
        }
    }
}
