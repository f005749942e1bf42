using Backfill.Engine.Configuration;

namespace Backfill.Engine.Datasets.Fop;

/// <summary>The settings of the <c>fop</c> dataset.</summary>
public static class FopSettings
{
    public const string DatabentoBaseUrl = "databento.baseUrl";
    public const string DatabentoRequestTimeoutSeconds = "databento.requestTimeoutSeconds";
    public const string FopTargetDelta = "fop.targetDelta";
    public const string FopMonthsAhead = "fop.monthsAhead";
    public const string FopDeltaTolerance = "fop.deltaTolerance";
    public const string FopRiskFreeRate = "fop.riskFreeRate";
    public const string FopStrategyFile = "fop.strategyFile";

    public static IReadOnlyList<SettingDefinition> All { get; } =
    [
        new(DatabentoBaseUrl, SettingKind.HttpUrl, "https://hist.databento.com",
            "Databento historical API (the key comes from DATABENTO_API_KEY, never from settings).", "https://hist.databento.com"),
        new(DatabentoRequestTimeoutSeconds, SettingKind.PositiveInt, "100",
            "Seconds one Databento request may take.", "100", Max: 3600),
        new(FopTargetDelta, SettingKind.Fraction, "0.15",
            "fop: call delta the monthly selection aims for.", "0.15"),
        new(FopMonthsAhead, SettingKind.PositiveInt, "2",
            "fop: the option's futures contract month, counted from the selection month (2 = M+2).", "2", Max: 12),
        new(FopDeltaTolerance, SettingKind.Fraction, "0.02",
            "fop: a selection further than this from the target delta is flagged (the closest is still taken).", "0.02"),
        new(FopRiskFreeRate, SettingKind.Fraction, "0.05",
            "fop: continuously compounded rate for Black-76 discounting.", "0.05"),
        new(FopStrategyFile, SettingKind.FilePath, null,
            "fop: YAML file with strategy.target_delta, months_ahead, delta_tolerance (between environment and stored values).", "./fop.yaml", Optional: true, LoadValues: StrategyFile.Load),
    ];
}
