using System.CommandLine;
using System.Globalization;
using Backfill.Core.Errors;

namespace Backfill.Cli.Commands;

/// <summary>
/// What every <c>simulate</c> command has: --port, --seed and --fault-rate with their checks, and the run of a
/// simulator from its start to Ctrl-C. Each command keeps only its vendor's options and lines.
/// </summary>
internal sealed class SimulateOptions
{
    public SimulateOptions(int defaultPort, string faultRateDescription)
    {
        Port = new Option<int>("--port") { Description = "Port to listen on (0 = a free one).", DefaultValueFactory = _ => defaultPort };
        Seed = new Option<int>("--seed") { Description = "Seed of the simulated market.", DefaultValueFactory = _ => 1 };
        FaultRate = new Option<double>("--fault-rate") { Description = faultRateDescription, DefaultValueFactory = _ => 0 };
    }

    public Option<int> Port { get; }

    public Option<int> Seed { get; }

    public Option<double> FaultRate { get; }

    /// <summary>A repeatable <c>--fault</c> whose help lists the names of <typeparamref name="TKind"/>.</summary>
    public static Option<string[]> FaultKinds<TKind>(string description)
        where TKind : struct, Enum =>
        new("--fault") { Description = $"{description}: {string.Join(", ", Enum.GetNames<TKind>())}." };

    /// <summary>--scale, above 0 and at most <paramref name="most"/>.</summary>
    public static double ReadScale(ParseResult parse, Option<double> scale, double most)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var value = parse.GetValue(scale);
        return value <= 0 || value > most || double.IsNaN(value)
            ? throw new InvalidInputException($"--scale: {value.ToString(CultureInfo.InvariantCulture)} must be above 0 and at most {most.ToString(CultureInfo.InvariantCulture)}.")
            : value;
    }

    /// <summary>
    /// --fault-rate (0..1) and the kinds named by <paramref name="kinds"/> (a command without <c>--fault</c> passes null).
    /// A rate without named kinds injects <paramref name="whenOnlyRate"/>, so <c>--fault-rate 0.1</c> alone is useful.
    /// </summary>
    public (double Rate, List<TKind> Kinds) ReadFaults<TKind>(ParseResult parse, Option<string[]>? kinds, IEnumerable<TKind> whenOnlyRate)
        where TKind : struct, Enum
    {
        ArgumentNullException.ThrowIfNull(parse);
        var named = new List<TKind>();
        foreach (var name in (kinds is null ? null : parse.GetValue(kinds)) ?? [])
        {
            named.Add(Enum.TryParse<TKind>(name, ignoreCase: true, out var kind) && Enum.IsDefined(kind)
                ? kind
                : throw new InvalidInputException($"--fault: '{Core.Time.DateInput.Printable(name)}' is not a fault kind. Use one of: {string.Join(", ", Enum.GetNames<TKind>())}."));
        }

        var rate = parse.GetValue(FaultRate);
        if (rate is < 0 or > 1 || double.IsNaN(rate))
        {
            throw new InvalidInputException($"--fault-rate: {rate.ToString(CultureInfo.InvariantCulture)} must be between 0 and 1.");
        }

        if (rate > 0 && named.Count == 0)
        {
            named.AddRange(whenOnlyRate);
        }

        return (rate, named);
    }

    /// <summary>
    /// Starts a simulator on --port, prints <paramref name="listening"/>, serves until Ctrl-C, then prints
    /// <paramref name="served"/> before stopping it (the counts are read while it still runs).
    /// </summary>
    public async Task<int> RunUntilStoppedAsync<TSimulator>(
        CommandContext context,
        Func<int, CancellationToken, Task<TSimulator>> start,
        Func<TSimulator, IReadOnlyList<string>> listening,
        Func<TSimulator, string> served,
        CancellationToken cancellationToken)
        where TSimulator : IAsyncDisposable
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(listening);
        ArgumentNullException.ThrowIfNull(served);
        var port = context.Parse.GetValue(Port);
        if (port is < 0 or > 65535)
        {
            throw new InvalidInputException($"--port: {port} is not a TCP port (0..65535).");
        }

        TSimulator simulator;
        try
        {
            simulator = await start(port, cancellationToken);
        }
        catch (IOException e)
        {
            throw new EnvironmentProblemException($"Cannot listen on port {port}: {e.Message.TrimEnd('.')}. Choose another with --port (0 = any free port).", e);
        }

        await using (simulator)
        {
            foreach (var line in listening(simulator))
            {
                context.Say(line);
            }

            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }

            context.Say(served(simulator));
        }

        return ExitCodes.Ok;
    }
}
