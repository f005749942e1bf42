using System.CommandLine;
using Backfill.Cli.Rendering;
using Backfill.Core.Errors;
using Backfill.Core.Time;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets;
using Backfill.Ledger;
using Spectre.Console;

namespace Backfill.Cli;

/// <summary>Everything a command needs for one invocation: parsed options, output, settings, the ledger.</summary>
internal sealed class CommandContext
{
    private readonly Dictionary<string, string> _overrides = new(StringComparer.OrdinalIgnoreCase);

    public CommandContext(ParseResult parse, CliEnvironment environment)
    {
        Parse = parse;
        Environment = environment;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(environment.Out),
            Ansi = environment.IsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = environment.IsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = environment.IsTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!environment.IsTerminal)
        {
            Console.Profile.Width = 160;
        }
    }

    public ParseResult Parse { get; }

    public CliEnvironment Environment { get; }

    public IAnsiConsole Console { get; }

    public TextWriter Out => Environment.Out;

    public TextWriter Error => Environment.Error;

    public OutputFormat Format => Parse.GetValue(GlobalOptions.Format);

    public bool Verbose => Parse.GetValue(GlobalOptions.Verbose);

    /// <summary>The one dataset <c>--dataset</c> names; a whole family (<c>options</c>) is refused here with the fix (name one member).</summary>
    public IDataset Dataset => Choice.Dataset ?? Environment.Datasets.Get(Choice.Name);

    /// <summary>What <c>--dataset</c> names: one dataset, or a family whose members commands with <c>--root</c> work on.</summary>
    public DatasetChoice Choice => Environment.Datasets.Choose(Parse.GetValue(GlobalOptions.Dataset));

    /// <summary>Today in the dataset's exchange time zone.</summary>
    public DateOnly Today
    {
        get
        {
            var local = TimeZoneInfo.ConvertTime(Environment.Time.GetUtcNow(), Choice.Calendar.TimeZone);
            return DateOnly.FromDateTime(local.DateTime);
        }
    }

    public SettingsResolver Resolver => new(Flags(), Environment.Variables, Environment.Datasets.Settings);

    /// <summary>What a dataset gets from this command: the ledger, the clock, the environment, warnings and the loggers.</summary>
    public DatasetHost Host(ILedger ledger, Microsoft.Extensions.Logging.ILoggerFactory? loggers = null) =>
        new(ledger, Environment.Time, Environment.Variable, Warn, loggers);

    public void Render(ResultTable table) => Renderer.Write(table, Format, Console, Out);

    /// <summary>A line for people (omitted in JSON/CSV output so machine output stays parseable).</summary>
    public void Say(string text)
    {
        if (Format == OutputFormat.Table)
        {
            Console.WriteLine(text);
        }
    }

    public void Warn(string text) => Error.WriteLine($"warning: {text}");

    /// <summary>A setting a command's own option stands for (<c>--max-dte N</c> = <c>--set processing.maxDte=N</c>); beats --set.</summary>
    public void Override(string key, string value) => _overrides[key] = value;

    /// <summary>Opens (and migrates) the ledger chosen by --db, BACKFILL_DATABASE_URL, BACKFILL_DATABASE_PATH or the default.</summary>
    public Task<ILedger> OpenLedgerAsync(CancellationToken cancellationToken) => SharedLedger.OpenAsync(this, create: true, cancellationToken);

    /// <summary>Opens the ledger for a command that only reads: a SQLite ledger that does not exist yet is exit 3, not created.</summary>
    public Task<ILedger> OpenExistingLedgerAsync(CancellationToken cancellationToken) => SharedLedger.OpenAsync(this, create: false, cancellationToken);

    /// <summary>Validated settings for processing commands.</summary>
    public Task<EffectiveSettings> LoadSettingsAsync(ILedger ledger, CancellationToken cancellationToken) =>
        Resolver.LoadAsync(ledger, cancellationToken);

    /// <summary>Reads --from/--to/--last into a range (any end may stay open).</summary>
    public (DateOnly? From, DateOnly? To) ReadRange(Option<string?> from, Option<string?> to, Option<string?> last)
    {
        var lastText = Parse.GetValue(last);
        var fromText = Parse.GetValue(from);
        var toText = Parse.GetValue(to);
        if (lastText is not null)
        {
            if (fromText is not null || toText is not null)
            {
                throw new InvalidInputException("--last cannot be combined with --from or --to. Use one or the other.");
            }

            var (f, t) = DateInput.ParseLast(lastText, Today);
            return (f, t);
        }

        DateOnly? fromDate = fromText is null ? null : DateInput.ParseDate(fromText, "--from", Today);
        DateOnly? toDate = toText is null ? null : DateInput.ParseDate(toText, "--to", Today);
        if (fromDate is { } a && toDate is { } b)
        {
            DateInput.EnsureOrdered(a, b);
        }

        return (fromDate, toDate);
    }

    private Dictionary<string, string> Flags()
    {
        var flags = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in Parse.GetValue(GlobalOptions.Set) ?? [])
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new InvalidInputException($"--set: '{DateInput.Printable(pair)}' is not key=value. Example: --set thetadata.maxConcurrentRequests=2");
            }

            var definition = Environment.Datasets.Settings.Get(pair[..eq]);
            flags[definition.Key] = pair[(eq + 1)..];
        }

        foreach (var (key, value) in _overrides)
        {
            flags[key] = value;
        }

        if (Parse.GetValue(GlobalOptions.Database) is { } db)
        {
            if (!Backfill.Ledger.Postgres.PostgresUrl.IsPostgres(db) && Backfill.Ledger.Postgres.PostgresUrl.LooksLikeUrl(db))
            {
                // The value is not echoed: a mistyped URL usually holds a password.
                throw new InvalidInputException("--db looks like a URL but is not a PostgreSQL URL. Use postgres://user:password@host:5432/database for a shared ledger, or a file path for SQLite.");
            }

            flags[Backfill.Ledger.Postgres.PostgresUrl.IsPostgres(db) ? Settings.DatabaseUrl : Settings.DatabasePath] = db;
        }

        return flags;
    }
}
