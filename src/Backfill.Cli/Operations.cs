using Backfill.Engine.Configuration;
using Backfill.Operations.Logging;
using Microsoft.Extensions.Logging;

namespace Backfill.Cli;

/// <summary>The logging of one command, from the settings, <c>BACKFILL_LOG_LEVEL</c> and --verbose.</summary>
internal static class Operations
{
    public static ILoggerFactory Create(CommandContext context, EffectiveSettings settings)
    {
        var variables = context.Environment.Variables;
        var options = LoggingOptions.From(settings, variables.GetValueOrDefault(LoggingOptions.LevelVariable), context.Verbose);
        return BackfillLogging.Create(options, context.Error, Redactor(context), context.Environment.Time);
    }

    /// <summary>Every secret this process can see: the vendors' keys, the encryption key and the database URL.</summary>
    public static SecretRedactor Redactor(CommandContext context)
    {
        var variables = context.Environment.Variables;
        return SecretRedactor.FromEnvironment(
            name => variables.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name),
            variables.Keys);
    }
}
