using System.CommandLine;
using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Simulators.ThetaData;

namespace Backfill.Cli.Commands;

/// <summary><c>simulate thetadata</c>: runs the ThetaData terminal simulator on loopback until Ctrl-C.</summary>
internal static class SimulateCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var simulate = new Command("simulate", "Run a vendor simulator on loopback (for trying Backfill, tests and benchmarks).");
        var port = new Option<int>("--port") { Description = "Port to listen on (0 = a free one).", DefaultValueFactory = _ => 25510 };
        var scale = new Option<double>("--scale") { Description = "Size of each simulated day: 1 = real size.", DefaultValueFactory = _ => 1.0 };
        var seed = new Option<int>("--seed") { Description = "Seed of the simulated market.", DefaultValueFactory = _ => 1 };
        var tickLimit = new Option<int>("--tick-limit") { Description = "Ticks per page before next_page paging.", DefaultValueFactory = _ => 1_000_000 };
        var faultRate = new Option<double>("--fault-rate") { Description = "Fraction of requests that get a fault (0..1).", DefaultValueFactory = _ => 0 };
        var faults = new Option<string[]>("--fault") { Description = $"Fault kinds to inject (repeatable): {string.Join(", ", Enum.GetNames<ThetaFaultKind>())}." };
        var gone = new Option<bool>("--v2-gone") { Description = "Answer every v2 request with 410 Gone, as a v3-only terminal does." };
        var theta = new Command("thetadata", "Simulated Theta Terminal: API v2 under /v2 and v3 under /v3, SPX and SPXW greeks.")
        {
            port, scale, seed, tickLimit, faultRate, faults, gone,
        };
        theta.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var kinds = new List<ThetaFaultKind>();
            foreach (var name in parse.GetValue(faults) ?? [])
            {
                kinds.Add(Enum.TryParse<ThetaFaultKind>(name, ignoreCase: true, out var kind) && Enum.IsDefined(kind)
                    ? kind
                    : throw new InvalidInputException($"--fault: '{Core.Time.DateInput.Printable(name)}' is not a fault kind. Use one of: {string.Join(", ", Enum.GetNames<ThetaFaultKind>())}."));
            }

            var rate = parse.GetValue(faultRate);
            if (rate is < 0 or > 1 || double.IsNaN(rate))
            {
                throw new InvalidInputException($"--fault-rate: {rate.ToString(CultureInfo.InvariantCulture)} must be between 0 and 1.");
            }

            if (rate > 0 && kinds.Count == 0)
            {
                kinds.AddRange(Enum.GetValues<ThetaFaultKind>().Where(k => k != ThetaFaultKind.Gone410));
            }

            var size = parse.GetValue(scale);
            if (size is <= 0 or > 1 || double.IsNaN(size))
            {
                throw new InvalidInputException($"--scale: {size.ToString(CultureInfo.InvariantCulture)} must be above 0 and at most 1.");
            }

            var requestedPort = parse.GetValue(port);
            if (requestedPort is < 0 or > 65535)
            {
                throw new InvalidInputException($"--port: {requestedPort} is not a TCP port (0..65535).");
            }

            ThetaDataSimulator simulator;
            try
            {
                simulator = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions
                {
                    Scale = size,
                    Seed = parse.GetValue(seed),
                    TickLimit = Math.Max(1, parse.GetValue(tickLimit)),
                    V2Gone = parse.GetValue(gone),
                    Faults = new ThetaFaultOptions { Probability = rate, Kinds = kinds },
                }, requestedPort, ct);
            }
            catch (IOException e)
            {
                throw new EnvironmentProblemException($"Cannot listen on port {requestedPort}: {e.Message}. Choose another with --port (0 = any free port).", e);
            }

            await using (simulator)
            {
                context.Say($"ThetaData simulator listening on {simulator.BaseAddress} (v2 and v3). Press Ctrl-C to stop.");
                context.Say($"Use it with: backfill --set thetadata.baseUrl={simulator.BaseAddress.ToString().TrimEnd('/')} process 2024-06-12");
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                }

                context.Say($"Served {simulator.Stats.TotalRequests} requests, {simulator.Stats.RowsServed:N0} rows.");
            }

            return ExitCodes.Ok;
        });
        simulate.Subcommands.Add(theta);
        simulate.Subcommands.Add(SimulateDatabentoCommand.Build(environment));
        simulate.Subcommands.Add(SimulateAlphaVantageCommand.Build(environment));
        simulate.Subcommands.Add(SimulateCryptoLakeCommand.Build(environment));
        return simulate;
    }
}
