namespace Backfill.Storage.Verification;

/// <summary>Outcome of verifying one output file.</summary>
public enum VerificationStatus
{
    Ok,
    Missing,
    ChecksumMismatch,
    Unreadable,
    MetadataMismatch,
}

/// <summary>Status, a message for humans, and what was measured (null when it could not be).</summary>
public sealed record VerificationResult(VerificationStatus Status, string Message, string? Sha256 = null, long? RowCount = null)
{
    public bool IsOk => Status == VerificationStatus.Ok;
}
