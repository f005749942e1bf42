using Backfill.Engine.Configuration;
using Backfill.Ledger.Postgres;
using Backfill.Operations.Logging;
using Microsoft.Extensions.Logging;

namespace Backfill.Cli;

/// <summary>The logging of one command, from the settings, <c>BACKFILL_LOG_LEVEL</c> and --verbose.</summary>
internal static partial class Operations
{
    public static ILoggerFactory Create(CommandContext context, EffectiveSettings settings)
    {
        var variables = context.Environment.Variables;
        var options = OperationsSettings.Logging(settings, variables.GetValueOrDefault(LoggingOptions.LevelVariable), context.Verbose);
        var loggers = BackfillLogging.Create(options, context.Error, Redactor(context), context.Environment.Time);
        var log = loggers.CreateLogger("Backfill.Settings");
        foreach (var setting in settings.All.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var value = setting.Definition.Kind switch
            {
                SettingKind.DatabaseUrl when setting.Value is { } url => PostgresUrl.MaskPasswords(url),
                SettingKind.SecretUrl => setting.Shown,
                _ => setting.Value,
            };
            LogSetting(log, setting.Key, value ?? "(unset)", SettingsResolver.Describe(setting));
        }

        return loggers;
    }

    [LoggerMessage(Level = LogLevel.Trace, Message = "setting {Key} = {Value} from {Source}")]
    private static partial void LogSetting(ILogger logger, string key, string value, string source);

    /// <summary>Every secret this process can see: the vendors' keys, the encryption key and the database URL.</summary>
    public static SecretRedactor Redactor(CommandContext context)
    {
        var variables = context.Environment.Variables;
        return SecretRedactor.FromEnvironment(
            name => variables.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name),
            variables.Keys);
    }
}
