namespace Backfill.Cli;

/// <summary>The process exit codes, documented in the README.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Some units failed (others may have succeeded); verify found problems.</summary>
    public const int Failed = 1;

    /// <summary>Bad usage or input: nothing was changed.</summary>
    public const int BadInput = 2;

    /// <summary>The environment is not usable: disk, ledger, source unreachable.</summary>
    public const int Environment = 3;

    /// <summary>Stopped by Ctrl-C; the work is resumable.</summary>
    public const int Interrupted = 130;
}
