using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Engine.Configuration;

namespace Backfill.Engine.Datasets.Fop;

/// <summary>The <c>fop</c> dataset's strategy: which options to pick and how to price them.</summary>
/// <param name="TargetDelta">Call delta aimed for at selection (0.15).</param>
/// <param name="MonthsAhead">Futures contract month of the option, counted from the selection month (2 = M+2).</param>
/// <param name="DeltaTolerance">Selections further than this from the target are flagged.</param>
/// <param name="RiskFreeRate">Black-76 discount rate.</param>
public sealed record FopStrategy(double TargetDelta = 0.15, int MonthsAhead = 2, double DeltaTolerance = 0.02, double RiskFreeRate = 0.05)
{
    public const string Dataset = "GLBX.MDP3";
    public const string FuturesRoot = "HO";
    public const string OptionRoot = "OH";

    public static FopStrategy From(EffectiveSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        double D(string key) => double.Parse(settings.Get(key).Value!, CultureInfo.InvariantCulture);
        var strategy = new FopStrategy(
            D(FopSettings.FopTargetDelta),
            int.Parse(settings.Get(FopSettings.FopMonthsAhead).Value!, CultureInfo.InvariantCulture),
            D(FopSettings.FopDeltaTolerance),
            D(FopSettings.FopRiskFreeRate));
        if (strategy.TargetDelta is <= 0 or >= 1)
        {
            throw new InvalidInputException($"{FopSettings.FopTargetDelta}: {strategy.TargetDelta.ToString(CultureInfo.InvariantCulture)} must lie strictly between 0 and 1.");
        }

        return strategy;
    }

    /// <summary>A short stable key of the parameters that change a selection (for the selection cache).</summary>
    public string CacheKey => string.Create(CultureInfo.InvariantCulture, $"d{TargetDelta:0.####}-m{MonthsAhead}-t{DeltaTolerance:0.####}-r{RiskFreeRate:0.####}");
}
