using System.Collections;
using Backfill.Core.Errors;
using Backfill.Ledger;

namespace Backfill.Engine.Configuration;

/// <summary>
/// Resolves every key with the precedence command-line flag &gt; environment variable &gt; stored in the
/// ledger &gt; default. Invalid values are reported with their source instead of silently falling through.
/// </summary>
public sealed class SettingsResolver
{
    /// <summary>The ledger's dataset scope for settings that apply to every dataset.</summary>
    public const string GlobalScope = "*";

    private readonly IReadOnlyDictionary<string, string> _flags;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly SettingCatalog _catalog;

    /// <param name="catalog">The keys to resolve (default: those of <see cref="Datasets.DatasetRegistry.Default"/>).</param>
    public SettingsResolver(IReadOnlyDictionary<string, string>? flags = null, IReadOnlyDictionary<string, string>? environment = null, SettingCatalog? catalog = null)
    {
        _catalog = catalog ?? Datasets.DatasetRegistry.Default.Settings;
        _flags = new Dictionary<string, string>(flags ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
        _environment = environment ?? ReadEnvironment();
    }

    public static IReadOnlyDictionary<string, string> ReadEnvironment()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string k && k.StartsWith("BACKFILL_", StringComparison.Ordinal) && entry.Value is string v)
            {
                values[k] = v;
            }
        }

        return values;
    }

    /// <summary>Resolves bootstrap keys (those read before the ledger is opened).</summary>
    public ResolvedSetting ResolveBootstrap(string key) => Resolve(_catalog.Get(key), stored: null);

    public async Task<IReadOnlyList<ResolvedSetting>> ResolveAllAsync(ILedger ledger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var stored = (await ledger.ListConfigAsync(GlobalScope, cancellationToken))
            .ToDictionary(e => e.Key, e => e.Value, StringComparer.OrdinalIgnoreCase);
        // Files that hold values of other keys (fop's strategy file) rank between environment variables and stored values.
        var fromFiles = new Dictionary<string, (string Value, string FileKey)>(StringComparer.OrdinalIgnoreCase);
        foreach (var definition in _catalog.All.Where(d => d.LoadValues is not null))
        {
            if (Resolve(definition, stored.GetValueOrDefault(definition.Key)) is { Value: { } path, Problem: null })
            {
                foreach (var (key, value) in definition.LoadValues!(path))
                {
                    fromFiles.TryAdd(key, (value, definition.Key));
                }
            }
        }

        return _catalog.All.Select(d => Resolve(d, d.Bootstrap ? null : stored.GetValueOrDefault(d.Key),
            fromFiles.TryGetValue(d.Key, out var f) ? f : null)).ToList();
    }

    /// <summary>All settings, failing with one message listing every invalid value.</summary>
    public async Task<EffectiveSettings> LoadAsync(ILedger ledger, CancellationToken cancellationToken)
    {
        var all = await ResolveAllAsync(ledger, cancellationToken);
        var problems = all.Where(s => s.Problem is not null).ToList();
        if (problems.Count > 0)
        {
            throw new InvalidInputException(string.Join(Environment.NewLine, problems.Select(p => $"{p.Problem} (from {Describe(p)})")));
        }

        return new EffectiveSettings(all);
    }

    public static string Describe(ResolvedSetting setting)
    {
        ArgumentNullException.ThrowIfNull(setting);
        return setting.Source switch
        {
            SettingSource.Flag => "a command-line flag",
            SettingSource.Environment => $"environment variable {setting.Definition.EnvironmentVariable}",
            SettingSource.File => $"the file named by {setting.FileKey}",
            SettingSource.Stored => "the ledger (backfill config set)",
            SettingSource.Default => "the default",
            _ => "nowhere",
        };
    }

    private ResolvedSetting Resolve(SettingDefinition definition, string? stored, (string Value, string FileKey)? file = null)
    {
        var fromFile = file?.Value;
        var (raw, source) = _flags.TryGetValue(definition.Key, out var flag) ? (flag, SettingSource.Flag)
            : _environment.TryGetValue(definition.EnvironmentVariable, out var env) && env.Length > 0 ? (env, SettingSource.Environment)
            : fromFile is not null ? (fromFile, SettingSource.File)
            : stored is not null ? (stored, SettingSource.Stored)
            : definition.Default is not null ? (definition.Default, SettingSource.Default)
            : ((string?)null, SettingSource.Unset);
        if (raw is null)
        {
            return new ResolvedSetting(definition, null, source, null);
        }

        try
        {
            return new ResolvedSetting(definition, SettingValidator.Validate(definition, raw), source, null) { FileKey = file?.FileKey };
        }
        catch (InvalidInputException e)
        {
            return new ResolvedSetting(definition, raw, source, e.Message) { FileKey = file?.FileKey };
        }
    }
}
