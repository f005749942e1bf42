namespace Backfill.Engine.Processing;

/// <summary>Marks on an exception that travel with it from the request that failed to the unit's failure.</summary>
public static class UnitErrors
{
    private const string LoggedKey = "backfill.logged";
    private const string AttemptsKey = "backfill.attempts";

    /// <summary>The request that ended the unit already wrote its error row (with its attempt): the unit's failure must not write it twice.</summary>
    public static void MarkLogged(Exception error, int attempts)
    {
        ArgumentNullException.ThrowIfNull(error);
        error.Data[LoggedKey] = true;
        error.Data[AttemptsKey] = attempts;
    }

    public static bool IsLogged(Exception error) => error?.Data[LoggedKey] is true;

    /// <summary>How many attempts the failed request had (1 when unknown).</summary>
    public static int Attempts(Exception error) => error?.Data[AttemptsKey] is int n ? n : 1;
}
