namespace Backfill.Quant;

/// <summary>Call or put.</summary>
public enum OptionRight
{
    Call,
    Put,
}
