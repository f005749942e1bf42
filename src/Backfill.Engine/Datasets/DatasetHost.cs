using Backfill.Ledger;
using Microsoft.Extensions.Logging;

namespace Backfill.Engine.Datasets;

/// <summary>
/// What the host (the Cli, a test, a benchmark) gives a dataset to build its vendor client and read its outputs: the
/// ledger, the clock, environment variables (credentials come from there, never from arguments), a way to warn the
/// user, and the loggers.
/// </summary>
/// <param name="Variable">Looks up an environment variable (null when unset).</param>
/// <param name="Warn">Tells the user something worth knowing that does not stop the command.</param>
public sealed record DatasetHost(ILedger Ledger, TimeProvider Time, Func<string, string?> Variable, Action<string> Warn, ILoggerFactory? Loggers = null)
{
    /// <summary>A host reading the process environment and ignoring warnings (tests, benchmarks).</summary>
    public static DatasetHost ForProcess(ILedger ledger, TimeProvider? time = null) =>
        new(ledger, time ?? TimeProvider.System, Environment.GetEnvironmentVariable, _ => { });
}
