namespace Backfill.Cli;

/// <summary>The process's surroundings, replaceable in tests: streams, environment variables, clock.</summary>
internal sealed record CliEnvironment(
    TextWriter Out,
    TextWriter Error,
    TextReader In,
    IReadOnlyDictionary<string, string> Variables,
    TimeProvider Time,
    bool IsTerminal,
    bool InputIsInteractive)
{
    public static CliEnvironment FromProcess() => new(
        Console.Out,
        Console.Error,
        Console.In,
        Engine.Configuration.SettingsResolver.ReadEnvironment(),
        TimeProvider.System,
        !Console.IsOutputRedirected,
        !Console.IsInputRedirected);
}
