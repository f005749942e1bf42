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
    /// <summary>The datasets this process knows (tests add their own).</summary>
    public Engine.Datasets.DatasetRegistry Datasets { get; init; } = Engine.Datasets.DatasetRegistry.Default;

    /// <summary>An environment variable: the given variables first, then the process's.</summary>
    public string? Variable(string name) => Variables.TryGetValue(name, out var value) ? value : System.Environment.GetEnvironmentVariable(name);

    public static CliEnvironment FromProcess() => new(
        Console.Out,
        Console.Error,
        Console.In,
        Engine.Configuration.SettingsResolver.ReadEnvironment(),
        TimeProvider.System,
        !Console.IsOutputRedirected,
        !Console.IsInputRedirected);
}
