using System.CommandLine;
using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Core.Time;
using Backfill.Simulators.CryptoLake;

namespace Backfill.Cli.Commands;

/// <summary><c>simulate cryptolake</c>: Crypto Lake's bucket on loopback until Ctrl-C, or a local mirror with <c>--mirror</c>.</summary>
internal static class SimulateCryptoLakeCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var port = new Option<int>("--port") { Description = "Port to listen on (0 = a free one).", DefaultValueFactory = _ => 25800 };
        var seed = new Option<int>("--seed") { Description = "Seed of the simulated market.", DefaultValueFactory = _ => 1 };
        var scale = new Option<double>("--scale") { Description = "Depth messages per second / 10 (1 = Binance depth@100ms, about 3.5 M rows a day).", DefaultValueFactory = _ => 1 };
        var faultRate = new Option<double>("--fault-rate") { Description = "Fraction of file requests answered with a 404, a truncated body or a delay (0..1).", DefaultValueFactory = _ => 0 };
        var dataFaults = new Option<bool>("--data-faults") { Description = "Leave one message out of each day and write a few malformed rows." };
        var mirror = new Option<string?>("--mirror") { Description = "Write the days of --from..--to to this folder in the bucket layout instead of serving HTTP." };
        var from = new Option<string?>("--from") { Description = "First day for --mirror (YYYY-MM-DD)." };
        var to = new Option<string?>("--to") { Description = "Last day for --mirror (default: --from)." };
        var command = new Command("cryptolake", "Simulated Crypto Lake bucket: S3 listing and book_delta_v2, book, trades Parquet files for BINANCE BTC-USDT.")
        {
            port, seed, scale, faultRate, dataFaults, mirror, from, to,
        };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var rate = parse.GetValue(faultRate);
            if (rate is < 0 or > 1 || double.IsNaN(rate))
            {
                throw new InvalidInputException($"--fault-rate: {rate.ToString(CultureInfo.InvariantCulture)} must be between 0 and 1.");
            }

            var s = parse.GetValue(scale);
            if (s is <= 0 or > 10 || double.IsNaN(s))
            {
                throw new InvalidInputException($"--scale: {s.ToString(CultureInfo.InvariantCulture)} must be above 0 and at most 10.");
            }

            var day = new CryptoLakeDayOptions
            {
                Seed = parse.GetValue(seed),
                MessagesPerSecond = 10 * s,
                DataFaults = parse.GetValue(dataFaults) ? new HashSet<CryptoLakeFaultKind> { CryptoLakeFaultKind.SequenceGap, CryptoLakeFaultKind.MalformedRows } : new HashSet<CryptoLakeFaultKind>(),
            };
            if (parse.GetValue(mirror) is { } folder)
            {
                var today = DateOnly.FromDateTime(DateTime.UtcNow);
                var first = DateInput.ParseDate(parse.GetValue(from) ?? throw new InvalidInputException("--mirror needs --from YYYY-MM-DD."), "--from", today);
                var last = parse.GetValue(to) is { } t ? DateInput.ParseDate(t, "--to", today) : first;
                if (last < first || last.DayNumber - first.DayNumber > 366)
                {
                    throw new InvalidInputException($"--to: {last:yyyy-MM-dd} must be on or after --from {first:yyyy-MM-dd} and at most 366 days later.");
                }

                for (var d = first; d <= last; d = d.AddDays(1))
                {
                    var written = CryptoLakeMarket.WriteDay(folder, d, day);
                    context.Say($"{d:yyyy-MM-dd}: {written.Messages} messages, {written.DeltaRows} delta rows, {written.Snapshots} snapshots, {written.Trades} trades");
                }

                context.Say($"Mirror written to {Path.GetFullPath(folder)}. Use it with --set cryptolake.baseUrl={Path.GetFullPath(folder)}");
                return ExitCodes.Ok;
            }

            var requestedPort = parse.GetValue(port);
            if (requestedPort is < 0 or > 65535)
            {
                throw new InvalidInputException($"--port: {requestedPort} is not a TCP port (0..65535).");
            }

            CryptoLakeSimulator simulator;
            try
            {
                simulator = await CryptoLakeSimulator.StartAsync(day, new CryptoLakeFaultOptions
                {
                    Probability = rate,
                    Kinds = rate > 0 ? [CryptoLakeFaultKind.MissingFile, CryptoLakeFaultKind.TruncatedBody, CryptoLakeFaultKind.Slow] : [],
                }, requestedPort, ct);
            }
            catch (IOException e)
            {
                throw new EnvironmentProblemException($"Cannot listen on port {requestedPort}: {e.Message}. Choose another with --port (0 = any free port).", e);
            }

            await using (simulator)
            {
                context.Say($"Crypto Lake simulator listening; use --set cryptolake.baseUrl={simulator.BaseAddress} (BINANCE BTC-USDT). Press Ctrl-C to stop.");
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                }

                context.Say($"Served {simulator.Stats.Requests} requests ({simulator.Stats.Faults} faults).");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
