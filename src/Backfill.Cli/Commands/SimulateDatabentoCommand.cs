using System.CommandLine;
using Backfill.Simulators.Databento;

namespace Backfill.Cli.Commands;

/// <summary><c>simulate databento</c>: the Databento historical API simulator (GLBX.MDP3 heating oil) on loopback until Ctrl-C.</summary>
internal static class SimulateDatabentoCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var common = new SimulateOptions(25600, "Fraction of data requests that get a fault (0..1).");
        var faults = SimulateOptions.FaultKinds<DatabentoFaultKind>("Fault kinds (repeatable)");
        var command = new Command("databento", "Simulated Databento historical API: timeseries.get_range (DBN v3, zstd) and metadata.get_cost for GLBX.MDP3 HO/OH.")
        {
            common.Port, common.Seed, common.FaultRate, faults,
        };
        command.SetAction(async (parse, ct) =>
        {
            var (rate, kinds) = common.ReadFaults(parse, faults, Enum.GetValues<DatabentoFaultKind>());
            var options = new DatabentoSimulatorOptions
            {
                Seed = parse.GetValue(common.Seed),
                Faults = new DatabentoFaultOptions { Probability = rate, Kinds = kinds },
            };
            return await common.RunUntilStoppedAsync(
                new CommandContext(parse, environment),
                (port, token) => DatabentoSimulator.StartAsync(options, port, token),
                s => [
                    $"Databento simulator listening on {s.BaseAddress}. Press Ctrl-C to stop. Any non-empty API key is accepted.",
                    $"Use it with: DATABENTO_API_KEY=db-test backfill --dataset fop --set databento.baseUrl={s.BaseAddress.ToString().TrimEnd('/')} process 2025-01-02",
                ],
                s => $"Served {s.Stats.Requests} requests, {s.Stats.Records:N0} records, {s.Stats.Faults} faults.",
                ct);
        });
        return command;
    }
}
