using System.CommandLine;
using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Simulators.Databento;

namespace Backfill.Cli.Commands;

/// <summary><c>simulate databento</c>: the Databento historical API simulator (GLBX.MDP3 heating oil) on loopback until Ctrl-C.</summary>
internal static class SimulateDatabentoCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var port = new Option<int>("--port") { Description = "Port to listen on (0 = a free one).", DefaultValueFactory = _ => 25600 };
        var seed = new Option<int>("--seed") { Description = "Seed of the simulated market.", DefaultValueFactory = _ => 1 };
        var faultRate = new Option<double>("--fault-rate") { Description = "Fraction of data requests that get a fault (0..1).", DefaultValueFactory = _ => 0 };
        var faults = new Option<string[]>("--fault") { Description = $"Fault kinds (repeatable): {string.Join(", ", Enum.GetNames<DatabentoFaultKind>())}." };
        var command = new Command("databento", "Simulated Databento historical API: timeseries.get_range (DBN v3, zstd) and metadata.get_cost for GLBX.MDP3 HO/OH.")
        {
            port, seed, faultRate, faults,
        };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var kinds = new List<DatabentoFaultKind>();
            foreach (var name in parse.GetValue(faults) ?? [])
            {
                kinds.Add(Enum.TryParse<DatabentoFaultKind>(name, ignoreCase: true, out var kind) && Enum.IsDefined(kind)
                    ? kind
                    : throw new InvalidInputException($"--fault: '{Core.Time.DateInput.Printable(name)}' is not a fault kind. Use one of: {string.Join(", ", Enum.GetNames<DatabentoFaultKind>())}."));
            }

            var rate = parse.GetValue(faultRate);
            if (rate is < 0 or > 1 || double.IsNaN(rate))
            {
                throw new InvalidInputException($"--fault-rate: {rate.ToString(CultureInfo.InvariantCulture)} must be between 0 and 1.");
            }

            if (rate > 0 && kinds.Count == 0)
            {
                kinds.AddRange(Enum.GetValues<DatabentoFaultKind>());
            }

            var requestedPort = parse.GetValue(port);
            if (requestedPort is < 0 or > 65535)
            {
                throw new InvalidInputException($"--port: {requestedPort} is not a TCP port (0..65535).");
            }

            DatabentoSimulator simulator;
            try
            {
                simulator = await DatabentoSimulator.StartAsync(new DatabentoSimulatorOptions
                {
                    Seed = parse.GetValue(seed),
                    Faults = new DatabentoFaultOptions { Probability = rate, Kinds = kinds },
                }, requestedPort, ct);
            }
            catch (IOException e)
            {
                throw new EnvironmentProblemException($"Cannot listen on port {requestedPort}: {e.Message}. Choose another with --port (0 = any free port).", e);
            }

            await using (simulator)
            {
                context.Say($"Databento simulator listening on {simulator.BaseAddress}. Press Ctrl-C to stop. Any non-empty API key is accepted.");
                context.Say($"Use it with: DATABENTO_API_KEY=db-test backfill --dataset fop --set databento.baseUrl={simulator.BaseAddress.ToString().TrimEnd('/')} process 2025-01-02");
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                }

                context.Say($"Served {simulator.Stats.Requests} requests, {simulator.Stats.Records:N0} records, {simulator.Stats.Faults} faults.");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
