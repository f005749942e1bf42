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
        var common = new SimulateOptions(25510, "Fraction of requests that get a fault (0..1).");
        var scale = new Option<double>("--scale") { Description = "Size of each simulated day: 1 = real size.", DefaultValueFactory = _ => 1.0 };
        var tickLimit = new Option<int>("--tick-limit") { Description = "Ticks per page before next_page paging.", DefaultValueFactory = _ => 1_000_000 };
        var faults = SimulateOptions.FaultKinds<ThetaFaultKind>("Fault kinds to inject (repeatable)");
        var gone = new Option<bool>("--v2-gone") { Description = "Answer every v2 request with 410 Gone, as a v3-only terminal does." };
        var latency = new Option<double?>("--latency") { Description = "Median time to first byte of each request in milliseconds (deterministic per request; 0 = none)." };
        var bandwidth = new Option<double?>("--bandwidth") { Description = "Response bandwidth in MB/s per request (0 = unlimited)." };
        var realistic = new Option<bool>("--realistic-latency") { Description = "A terminal over the internet: --latency 150 --bandwidth 25 unless given." };
        var theta = new Command("thetadata", "Simulated Theta Terminal: API v2 under /v2 and v3 under /v3, greeks for any option root.")
        {
            common.Port, scale, common.Seed, tickLimit, common.FaultRate, faults, gone, latency, bandwidth, realistic,
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
                Latency = ReadLatency(parse, latency, bandwidth, realistic),
            };
            return await common.RunUntilStoppedAsync(
                new CommandContext(parse, environment),
                (port, token) => ThetaDataSimulator.StartAsync(options, port, token),
                s => [
                    $"ThetaData simulator listening on {s.BaseAddress} (v2 and v3). Press Ctrl-C to stop.",
                    $"Use it with: backfill --set thetadata.baseUrl={s.BaseAddress.ToString().TrimEnd('/')} process 2024-06-12",
                    .. LatencyLines(options.Latency),
                ],
                s => $"Served {s.Stats.TotalRequests} requests, {s.Stats.RowsServed:N0} rows"
                    + (options.Latency.IsNone ? "." : $", {s.Stats.LatencyAdded.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s of simulated latency."),
                ct);
        });
        simulate.Subcommands.Add(theta);
        simulate.Subcommands.Add(SimulateDatabentoCommand.Build(environment));
        simulate.Subcommands.Add(SimulateAlphaVantageCommand.Build(environment));
        simulate.Subcommands.Add(SimulateCryptoLakeCommand.Build(environment));
        return simulate;
    }

    private static string[] LatencyLines(ThetaLatencyOptions latency) => latency.IsNone
        ? []
        : [string.Create(CultureInfo.InvariantCulture, $"Latency: {latency.FirstByteMedian.TotalMilliseconds:0.#} ms median to the first byte, {(latency.BytesPerSecond > 0 ? $"{latency.BytesPerSecond / 1_000_000:0.##} MB/s" : "unlimited bandwidth")} per response.")];

    /// <summary>--latency (ms) and --bandwidth (MB/s), each at least 0; --realistic-latency fills the ones not given.</summary>
    private static ThetaLatencyOptions ReadLatency(ParseResult parse, Option<double?> latency, Option<double?> bandwidth, Option<bool> realistic)
    {
        var preset = parse.GetValue(realistic) ? ThetaLatencyOptions.Realistic : ThetaLatencyOptions.None;
        var ms = parse.GetValue(latency) ?? preset.FirstByteMedian.TotalMilliseconds;
        var megabytes = parse.GetValue(bandwidth) ?? (preset.BytesPerSecond / 1_000_000);
        if (ms is < 0 or > 600_000 || double.IsNaN(ms))
        {
            throw new InvalidInputException($"--latency: {ms.ToString(CultureInfo.InvariantCulture)} must be milliseconds between 0 and 600000.");
        }

        if (megabytes < 0 || double.IsNaN(megabytes) || double.IsInfinity(megabytes))
        {
            throw new InvalidInputException($"--bandwidth: {megabytes.ToString(CultureInfo.InvariantCulture)} must be MB/s, 0 or more (0 = unlimited).");
        }

        return new ThetaLatencyOptions { FirstByteMedian = TimeSpan.FromMilliseconds(ms), BytesPerSecond = megabytes * 1_000_000 };
    }
}
