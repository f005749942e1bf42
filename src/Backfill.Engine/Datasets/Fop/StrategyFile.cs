using System.Globalization;
using Backfill.Core.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Backfill.Engine.Datasets.Fop;

/// <summary>
/// Reads a dataset strategy file in the layout of the original options puller's <c>config/*.yaml</c>:
/// <code>
/// strategy:
///   target_delta: 0.15
///   months_ahead: 2
///   delta_tolerance: 0.02
///   risk_free_rate: 0.05   # optional
/// </code>
/// Values become the settings <c>fop.targetDelta</c>, <c>fop.monthsAhead</c>, <c>fop.deltaTolerance</c> and
/// <c>fop.riskFreeRate</c>, ranked below flags and environment variables and above stored values. Other keys are ignored.
/// </summary>
public static class StrategyFile
{
    private static readonly Dictionary<string, string> KeyMap = new(StringComparer.Ordinal)
    {
        ["target_delta"] = FopSettings.FopTargetDelta,
        ["months_ahead"] = FopSettings.FopMonthsAhead,
        ["delta_tolerance"] = FopSettings.FopDeltaTolerance,
        ["risk_free_rate"] = FopSettings.FopRiskFreeRate,
    };

    /// <summary>Setting key → raw text from the file.</summary>
    /// <exception cref="InvalidInputException">The file is missing or not valid YAML.</exception>
    public static IReadOnlyDictionary<string, string> Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidInputException($"{FopSettings.FopStrategyFile}: cannot read '{path}': {e.Message}");
        }

        return Parse(text, path);
    }

    public static IReadOnlyDictionary<string, string> Parse(string yaml, string name = "the strategy file")
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new InvalidInputException($"{FopSettings.FopStrategyFile}: '{name}' is not valid YAML (line {e.Start.Line}): {e.Message}");
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            return result;
        }

        if (!root.Children.TryGetValue(new YamlScalarNode("strategy"), out var strategyNode))
        {
            return result;
        }

        if (strategyNode is not YamlMappingNode strategy)
        {
            throw new InvalidInputException($"{FopSettings.FopStrategyFile}: in '{name}', 'strategy' must be a mapping of keys to values.");
        }

        foreach (var (keyNode, valueNode) in strategy.Children)
        {
            if (keyNode is YamlScalarNode { Value: { } key } && KeyMap.TryGetValue(key, out var setting))
            {
                result[setting] = valueNode is YamlScalarNode { Value: { } value }
                    ? value.Trim()
                    : throw new InvalidInputException($"{FopSettings.FopStrategyFile}: in '{name}', strategy.{key} must be a single value.");
            }
        }

        return result;
    }

    internal static string Invariant(decimal value) => value.ToString(CultureInfo.InvariantCulture);
}
