using System.CommandLine;
using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Simulators.AlphaVantage;

namespace Backfill.Cli.Commands;

/// <summary><c>simulate alphavantage</c>: Alpha Vantage's daily series on loopback until Ctrl-C.</summary>
internal static class SimulateAlphaVantageCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var port = new Option<int>("--port") { Description = "Port to listen on (0 = a free one).", DefaultValueFactory = _ => 25700 };
        var seed = new Option<int>("--seed") { Description = "Seed of the simulated market.", DefaultValueFactory = _ => 1 };
        var free = new Option<bool>("--free-tier") { Description = "Answer premium notices for outputsize=full and the adjusted series." };
        var limit = new Option<int?>("--daily-limit") { Description = "Requests per key before the daily-limit body (none by default)." };
        var faultRate = new Option<double>("--fault-rate") { Description = "Fraction of requests answered with a burst-limit body, a per-minute note or 503 (0..1).", DefaultValueFactory = _ => 0 };
        var command = new Command("alphavantage", "Simulated Alpha Vantage query API: TIME_SERIES_DAILY[_ADJUSTED], JSON and CSV, error bodies in HTTP 200.")
        {
            port, seed, free, limit, faultRate,
        };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var rate = parse.GetValue(faultRate);
            if (rate is < 0 or > 1 || double.IsNaN(rate))
            {
                throw new InvalidInputException($"--fault-rate: {rate.ToString(CultureInfo.InvariantCulture)} must be between 0 and 1.");
            }

            var requestedPort = parse.GetValue(port);
            if (requestedPort is < 0 or > 65535)
            {
                throw new InvalidInputException($"--port: {requestedPort} is not a TCP port (0..65535).");
            }

            AlphaVantageSimulator simulator;
            try
            {
                simulator = await AlphaVantageSimulator.StartAsync(new AlphaVantageSimulatorOptions
                {
                    Seed = parse.GetValue(seed),
                    Premium = !parse.GetValue(free),
                    DailyLimit = parse.GetValue(limit),
                    Faults = new AlphaVantageFaultOptions { Probability = rate, Kinds = rate > 0 ? Enum.GetValues<AlphaVantageFaultKind>() : [] },
                }, requestedPort, ct);
            }
            catch (IOException e)
            {
                throw new EnvironmentProblemException($"Cannot listen on port {requestedPort}: {e.Message}. Choose another with --port (0 = any free port).", e);
            }

            await using (simulator)
            {
                context.Say($"Alpha Vantage simulator listening on {simulator.BaseAddress} (symbols AAPL MSFT IBM TSLA BRK.B SPY KO). Press Ctrl-C to stop.");
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                }

                context.Say($"Served {simulator.Stats.Requests} requests ({simulator.Stats.ErrorBodies} error bodies, {simulator.Stats.Faults} faults).");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
