namespace Backfill.Cli.Tests;

/// <summary>
/// Tests that read or change what the whole test process shares (the meters every in-process run records into,
/// environment variables): they run alone, after the parallel tests, so no other run's measurements or settings mix in.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideState
{
    public const string Name = "process-wide state";
}
