namespace Backfill.Ledger.Sql;

/// <summary>Messages (errors, reasons) are stored cut to a bound, so one runaway message (a whole HTML error page) cannot bloat the ledger.</summary>
internal static class StoredMessage
{
    public const int MaxLength = 4000;

    public static string Cut(string message) => message.Length <= MaxLength ? message : message[..MaxLength];
}
