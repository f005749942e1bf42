using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets.Spx;

namespace Backfill.Engine.Datasets.Options;

/// <summary>The settings of the <c>options</c> family: the roots, and the same ThetaData keys as <c>spx</c> (one definition each).</summary>
public static class OptionsSettings
{
    public const string Roots = "options.roots";

    /// <summary>Roots at most in <see cref="Roots"/>: each is its own dataset, ledger key and folder.</summary>
    public const int MaxRoots = 200;

    public static SettingDefinition RootsDefinition { get; } = new(Roots, SettingKind.Custom, null,
        "options: the ThetaData option roots, comma-separated, upper case (1-6 letters or digits, starting with a letter); each root is its own dataset options/ROOT with its own ledger rows and files.",
        "SPY,QQQ,IWM", Optional: true, Check: RootList);

    /// <summary>The ThetaData keys spx reads (the same definitions, so the catalog holds each once) and the roots.</summary>
    public static IReadOnlyList<SettingDefinition> All { get; } = [.. SpxSettings.All, RootsDefinition];

    /// <summary>The roots of a valid <see cref="Roots"/> value, in the order given.</summary>
    public static IReadOnlyList<string> Parse(string? text) =>
        string.IsNullOrWhiteSpace(text) ? [] : [.. text.Split(',').Select(r => r.Trim())];

    /// <summary>Checks every root and refuses duplicates; returns the list as stored.</summary>
    private static string RootList(string text)
    {
        var roots = text.Split(',').Select(r => r.Trim()).ToList();
        if (roots.All(r => r.Length == 0))
        {
            throw new InvalidInputException($"{Roots}: no root given. List them comma-separated, e.g. {RootsDefinition.Example}.");
        }

        if (roots.Count > MaxRoots)
        {
            throw new InvalidInputException($"{Roots}: {roots.Count} roots; at most {MaxRoots}. Split them over several ledgers or runs.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            OptionRoot.Check(root, Roots);
            if (!seen.Add(root))
            {
                throw new InvalidInputException($"{Roots}: '{root}' is listed twice. Give each root once, e.g. {RootsDefinition.Example}.");
            }
        }

        return string.Join(',', roots);
    }
}

/// <summary>What a ThetaData option root may be: 1-6 upper-case letters or digits, starting with a letter (SPY, SPXW, BRKB, AAPL1).</summary>
public static class OptionRoot
{
    /// <summary>Refuses anything else, naming the value, where it came from and the fix.</summary>
    /// <exception cref="InvalidInputException">Not a root.</exception>
    public static string Check(string root, string what)
    {
        ArgumentNullException.ThrowIfNull(root);
        var shown = Core.Time.DateInput.Printable(root);
        if (root.Length == 0)
        {
            throw new InvalidInputException($"{what}: an empty root (two commas, or a comma at an end). List roots comma-separated, e.g. SPY,QQQ,IWM.");
        }

        if (root.Length > 6 || !char.IsAsciiLetter(root[0]) || !root.All(char.IsAsciiLetterOrDigit))
        {
            throw new InvalidInputException($"{what}: '{shown}' is not an option root. A root is 1-6 letters or digits starting with a letter, as ThetaData lists it, e.g. SPY, QQQ, SPXW.");
        }

        if (root.Any(char.IsAsciiLetterLower))
        {
            throw new InvalidInputException($"{what}: '{shown}' is not upper case. ThetaData's roots are upper case: write {root.ToUpperInvariant()}.");
        }

        return root;
    }
}
