using Backfill.Core.IO;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Storage.Outputs;

namespace Backfill.Engine.Processing;

/// <summary>What a producer gets for one claimed date: where to publish, where to stage, the ledger for sub-unit checkpoints and errors.</summary>
public sealed class UnitContext
{
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly string _tempRoot;

    internal UnitContext(UnitClaim claim, UnitProgress progress, ILedger ledger, IOutputStore output, string stagingDirectory, string tempRoot, TimeProvider time)
    {
        Claim = claim;
        Progress = progress;
        Ledger = ledger;
        Output = output;
        StagingDirectory = stagingDirectory;
        _tempRoot = tempRoot;
        _time = time;
        _started = time.GetTimestamp();
    }

    public UnitClaim Claim { get; }

    public DateOnly Date => Claim.TradeDate;

    public string Dataset => Claim.Dataset;

    /// <summary>The worker holding the claim (ledger calls that need the owner).</summary>
    public string Owner => Claim.Owner;

    public UnitProgress Progress { get; }

    /// <summary>For sub-unit checkpoints, progress counters and the errors of single requests.</summary>
    public ILedger Ledger { get; }

    /// <summary>Where the date's output is published (the only way a producer writes outputs).</summary>
    public IOutputStore Output { get; }

    /// <summary>This date's resumable work folder (<c>{temp}/{dataset}/staging/YYYY-MM-DD</c>); not created until used.</summary>
    public string StagingDirectory { get; }

    /// <summary>Creates <see cref="StagingDirectory"/> (every missing level 0700) and returns it.</summary>
    /// <exception cref="UnsafeFolderException">A level below the temp folder is a symbolic link: it is not followed.</exception>
    public string CreateStagingDirectory()
    {
        OwnerOnly.CreateDirectoryBelow(_tempRoot, StagingDirectory);
        return StagingDirectory;
    }

    /// <summary>Time since the claim, on the injected clock.</summary>
    public TimeSpan Elapsed => _time.GetElapsedTime(_started);

    /// <summary>Records an error of this date (a request's retried or final failure).</summary>
    public Task RecordErrorAsync(ErrorRecord error) => Ledger.RecordErrorAsync(error, CancellationToken.None);
}
