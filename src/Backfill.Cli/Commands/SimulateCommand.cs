using System.CommandLine;
using Backfill.Simulators.ThetaData;

namespace Backfill.Cli.Commands;

/// <summary><c>simulate thetadata</c>: runs the ThetaData terminal simulator on loopback until Ctrl-C.</summary>
internal static class SimulateCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var simulate = new Command("simulate", "Run a vendor simulator on loopback (for trying Backfill, tests and benchmarks).");
        var common = new SimulateOptions(25510, "Fraction of requests that get a fault (0..1).");
        var scale = new Option<double>("--scale") { Description = "Size of each simulated day: 1 = real size.", DefaultValueFactory = _ => 1.0 };
        var tickLimit = new Option<int>("--tick-limit") { Description = "Ticks per page before next_page paging.", DefaultValueFactory = _ => 1_000_000 };
        var faults = SimulateOptions.FaultKinds<ThetaFaultKind>("Fault kinds to inject (repeatable)");
        var gone = new Option<bool>("--v2-gone") { Description = "Answer every v2 request with 410 Gone, as a v3-only terminal does." };
        var theta = new Command("thetadata", "Simulated Theta Terminal: API v2 under /v2 and v3 under /v3, greeks for any option root.")
        {
            common.Port, scale, common.Seed, tickLimit, common.FaultRate, faults, gone,
        };
        theta.SetAction(async (parse, ct) =>
        {
            // A rate alone injects every kind but 410, which would turn the terminal into a v3-only one.
            var (rate, kinds) = common.ReadFaults(parse, faults, Enum.GetValues<ThetaFaultKind>().Where(k => k != ThetaFaultKind.Gone410));
            var options = new ThetaDataSimulatorOptions
            {
                Scale = SimulateOptions.ReadScale(parse, scale, 1),
                Seed = parse.GetValue(common.Seed),
                TickLimit = Math.Max(1, parse.GetValue(tickLimit)),
                V2Gone = parse.GetValue(gone),
                Faults = new ThetaFaultOptions { Probability = rate, Kinds = kinds },
            };
            return await common.RunUntilStoppedAsync(
                new CommandContext(parse, environment),
                (port, token) => ThetaDataSimulator.StartAsync(options, port, token),
                s => [
                    $"ThetaData simulator listening on {s.BaseAddress} (v2 and v3). Press Ctrl-C to stop.",
                    $"Use it with: backfill --set thetadata.baseUrl={s.BaseAddress.ToString().TrimEnd('/')} process 2024-06-12",
                ],
                s => $"Served {s.Stats.TotalRequests} requests, {s.Stats.RowsServed:N0} rows.",
                ct);
        });
        simulate.Subcommands.Add(theta);
        simulate.Subcommands.Add(SimulateDatabentoCommand.Build(environment));
        simulate.Subcommands.Add(SimulateAlphaVantageCommand.Build(environment));
        simulate.Subcommands.Add(SimulateCryptoLakeCommand.Build(environment));
        return simulate;
    }
}
