using System.CommandLine;
using Backfill.Simulators.AlphaVantage;

namespace Backfill.Cli.Commands;

/// <summary><c>simulate alphavantage</c>: Alpha Vantage's daily series on loopback until Ctrl-C.</summary>
internal static class SimulateAlphaVantageCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var common = new SimulateOptions(25700, "Fraction of requests answered with a burst-limit body, a per-minute note or 503 (0..1).");
        var free = new Option<bool>("--free-tier") { Description = "Answer premium notices for outputsize=full and the adjusted series." };
        var limit = new Option<int?>("--daily-limit") { Description = "Requests per key before the daily-limit body (none by default)." };
        var command = new Command("alphavantage", "Simulated Alpha Vantage query API: TIME_SERIES_DAILY[_ADJUSTED], JSON and CSV, error bodies in HTTP 200.")
        {
            common.Port, common.Seed, free, limit, common.FaultRate,
        };
        command.SetAction(async (parse, ct) =>
        {
            var (rate, kinds) = common.ReadFaults(parse, null, Enum.GetValues<AlphaVantageFaultKind>());
            var options = new AlphaVantageSimulatorOptions
            {
                Seed = parse.GetValue(common.Seed),
                Premium = !parse.GetValue(free),
                DailyLimit = parse.GetValue(limit),
                Faults = new AlphaVantageFaultOptions { Probability = rate, Kinds = kinds },
            };
            return await common.RunUntilStoppedAsync(
                new CommandContext(parse, environment),
                (port, token) => AlphaVantageSimulator.StartAsync(options, port, token),
                s => [$"Alpha Vantage simulator listening on {s.BaseAddress} (symbols AAPL MSFT IBM TSLA BRK.B SPY KO). Press Ctrl-C to stop."],
                s => $"Served {s.Stats.Requests} requests ({s.Stats.ErrorBodies} error bodies, {s.Stats.Faults} faults).",
                ct);
        });
        return command;
    }
}
