using System.CommandLine;
using Backfill.Core.Errors;
using Backfill.Core.Time;
using Backfill.Simulators.CryptoLake;

namespace Backfill.Cli.Commands;

/// <summary><c>simulate cryptolake</c>: Crypto Lake's bucket on loopback until Ctrl-C, or a local mirror with <c>--mirror</c>.</summary>
internal static class SimulateCryptoLakeCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var common = new SimulateOptions(25800, "Fraction of file requests answered with a 404, a truncated body or a delay (0..1).");
        var scale = new Option<double>("--scale") { Description = "Depth messages per second / 10 (1 = Binance depth@100ms, about 3.5 M rows a day).", DefaultValueFactory = _ => 1 };
        var dataFaults = new Option<bool>("--data-faults") { Description = "Leave one message out of each day and write a few malformed rows." };
        var mirror = new Option<string?>("--mirror") { Description = "Write the days of --from..--to to this folder in the bucket layout instead of serving HTTP." };
        var from = new Option<string?>("--from") { Description = "First day for --mirror (YYYY-MM-DD)." };
        var to = new Option<string?>("--to") { Description = "Last day for --mirror (default: --from)." };
        var command = new Command("cryptolake", "Simulated Crypto Lake bucket: S3 listing and book_delta_v2, book, trades Parquet files for the market of cryptobook.exchange and cryptobook.symbol (default BINANCE BTC-USDT; BINANCE_FUTURES BTC-USDT-PERP for USD-M futures).")
        {
            common.Port, common.Seed, scale, common.FaultRate, dataFaults, mirror, from, to,
        };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var (rate, kinds) = common.ReadFaults(parse, null, [CryptoLakeFaultKind.MissingFile, CryptoLakeFaultKind.TruncatedBody, CryptoLakeFaultKind.Slow]);
            var day = new CryptoLakeDayOptions
            {
                // The market processing will ask for: the same --set (or stored defaults) as the crypto-book run.
                Exchange = Setting(context, ExchangeKey),
                Symbol = Setting(context, SymbolKey),
                Seed = parse.GetValue(common.Seed),
                MessagesPerSecond = 10 * SimulateOptions.ReadScale(parse, scale, 10),
                DataFaults = parse.GetValue(dataFaults) ? new HashSet<CryptoLakeFaultKind> { CryptoLakeFaultKind.SequenceGap, CryptoLakeFaultKind.MalformedRows } : new HashSet<CryptoLakeFaultKind>(),
            };
            if (parse.GetValue(mirror) is { } folder)
            {
                WriteMirror(context, folder, parse.GetValue(from), parse.GetValue(to), day);
                return ExitCodes.Ok;
            }

            var faults = new CryptoLakeFaultOptions { Probability = rate, Kinds = kinds };
            return await common.RunUntilStoppedAsync(
                context,
                (port, token) => CryptoLakeSimulator.StartAsync(day, faults, port, token),
                s => [$"Crypto Lake simulator listening; use --set cryptolake.baseUrl={s.BaseAddress} ({day.Exchange} {day.Symbol}{GridNote(day)}). Press Ctrl-C to stop."],
                s => $"Served {s.Stats.Requests} requests ({s.Stats.Faults} faults).",
                ct);
        });
        return command;
    }

    private const string ExchangeKey = "cryptobook.exchange";
    private const string SymbolKey = "cryptobook.symbol";

    /// <summary>A crypto-book market setting from --set or the environment (a simulator has no ledger), checked as processing checks it.</summary>
    private static string Setting(CommandContext context, string key)
    {
        var resolved = context.Resolver.ResolveBootstrap(key);
        if (resolved.Problem is { } problem)
        {
            throw new InvalidInputException(problem);
        }

        return resolved.Value!;
    }

    /// <summary>For a market whose tick and lot are not crypto-book's defaults, the settings processing needs as well.</summary>
    private static string GridNote(CryptoLakeDayOptions day)
    {
        var (tick, lot) = CryptoLakeMarket.GridsOf(day.Exchange);
        return tick == CryptoLakeMarket.Tick
            ? string.Empty
            : $"; also --set cryptobook.tickSize={tick} --set cryptobook.lotSize={lot}";
    }

    private static void WriteMirror(CommandContext context, string folder, string? from, string? to, CryptoLakeDayOptions day)
    {
        var today = DateOnly.FromDateTime(context.Environment.Time.GetUtcNow().UtcDateTime);
        var first = DateInput.ParseDate(from ?? throw new InvalidInputException("--mirror needs --from YYYY-MM-DD."), "--from", today);
        var last = to is { } t ? DateInput.ParseDate(t, "--to", today) : first;
        if (last < first || last.DayNumber - first.DayNumber > 366)
        {
            throw new InvalidInputException($"--to: {last:yyyy-MM-dd} must be on or after --from {first:yyyy-MM-dd} and at most 366 days later.");
        }

        for (var d = first; d <= last; d = d.AddDays(1))
        {
            var written = CryptoLakeMarket.WriteDay(folder, d, day);
            context.Say($"{d:yyyy-MM-dd}: {written.Messages} messages, {written.DeltaRows} delta rows, {written.Snapshots} snapshots, {written.Trades} trades");
        }

        context.Say($"Mirror of {day.Exchange} {day.Symbol} written to {Path.GetFullPath(folder)}. Use it with --set cryptolake.baseUrl={Path.GetFullPath(folder)}{GridNote(day)}");
    }
}
