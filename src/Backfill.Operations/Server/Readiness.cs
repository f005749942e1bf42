namespace Backfill.Operations.Server;

/// <summary>One readiness check: whether it passes, a one-line detail, and the facts behind it (served as JSON fields).</summary>
public sealed record ReadinessCheck(string Name, bool Ready, string Detail, IReadOnlyDictionary<string, object?> Facts);

/// <summary>What <c>/ready</c> answers: ready only when every check is.</summary>
public sealed record Readiness(IReadOnlyList<ReadinessCheck> Checks)
{
    public bool Ready => Checks.All(c => c.Ready);
}
