using System.Collections.Concurrent;
using System.Diagnostics;
using Backfill.Engine.Processing;
using Spectre.Console;

namespace Backfill.Cli;

/// <summary>
/// Shows dates in flight: a live Spectre.Console progress display on a terminal (current sub-units, percent,
/// rows/s, memory, refreshed twice a second), or one plain line per date every few seconds otherwise.
/// </summary>
internal sealed class ProgressDisplay : IProcessingObserver
{
    private readonly CommandContext _context;
    private readonly Engine.Datasets.SubUnitNoun _subUnits;
    private readonly ConcurrentDictionary<DateOnly, UnitProgress> _active = new();
    private readonly ConcurrentQueue<(UnitProgress Progress, UnitOutcome Outcome)> _finished = new();

    public ProgressDisplay(CommandContext context, Engine.Datasets.SubUnitNoun subUnits)
    {
        _context = context;
        _subUnits = subUnits;
    }

    public void UnitStarted(UnitProgress progress) => _active[progress.Date] = progress;

    public void UnitFinished(UnitProgress progress, UnitOutcome outcome)
    {
        _active.TryRemove(progress.Date, out _);
        _finished.Enqueue((progress, outcome));
    }

    public async Task<T> RunAsync<T>(Func<IProcessingObserver, Task<T>> work)
    {
        if (_context.Environment.IsTerminal && _context.Format == Rendering.OutputFormat.Table)
        {
            return await RunLiveAsync(work);
        }

        return await RunPlainAsync(work);
    }

    private string Describe(UnitProgress p)
    {
        var seconds = Math.Max(0.001, (DateTimeOffset.UtcNow - p.StartedAt).TotalSeconds);
        var inFlight = p.InFlight;
        var current = inFlight.Count == 0 ? p.Phase : $"{inFlight[0]}{(inFlight.Count > 1 ? $" +{inFlight.Count - 1}" : string.Empty)}";
        using var self = Process.GetCurrentProcess();
        return $"{p.Date:yyyy-MM-dd} {current}, {p.SubUnitsDone}/{p.SubUnitsTotal} {_subUnits.Many}, {p.Rows:N0} rows, " +
               $"{p.Rows / seconds:N0} rows/s, {self.WorkingSet64 / (1024 * 1024)} MB";
    }

    private async Task<T> RunLiveAsync<T>(Func<IProcessingObserver, Task<T>> work)
    {
        T result = default!;
        await _context.Console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                var tasks = new Dictionary<DateOnly, ProgressTask>();
                var running = work(this);
                while (!running.IsCompleted)
                {
                    Refresh(ctx, tasks);
                    await Task.WhenAny(running, Task.Delay(500));
                }

                Refresh(ctx, tasks);
                result = await running;
            });
        return result;
    }

    private void Refresh(ProgressContext ctx, Dictionary<DateOnly, ProgressTask> tasks)
    {
        foreach (var p in _active.Values)
        {
            if (!tasks.TryGetValue(p.Date, out var task))
            {
                task = tasks[p.Date] = ctx.AddTask(p.Date.ToString("yyyy-MM-dd", null), maxValue: 100);
            }

            task.Value = Math.Min(99, p.Fraction * 100);
            task.Description = Markup.Escape(Describe(p));
        }

        while (_finished.TryDequeue(out var done))
        {
            if (!tasks.TryGetValue(done.Progress.Date, out var task))
            {
                task = tasks[done.Progress.Date] = ctx.AddTask(done.Progress.Date.ToString("yyyy-MM-dd", null), maxValue: 100);
            }

            task.Description = Markup.Escape($"{done.Outcome.Date:yyyy-MM-dd} {done.Outcome.Kind.ToString().ToLowerInvariant()}: {done.Outcome.Message}");
            if (done.Outcome.Kind == UnitOutcomeKind.Success)
            {
                task.Value = 100;
            }

            task.StopTask();
        }
    }

    private async Task<T> RunPlainAsync<T>(Func<IProcessingObserver, Task<T>> work)
    {
        var running = work(this);
        var lastLine = Stopwatch.StartNew();
        while (!running.IsCompleted)
        {
            await Task.WhenAny(running, Task.Delay(1000));
            Flush();
            if (lastLine.Elapsed >= TimeSpan.FromSeconds(5))
            {
                foreach (var p in _active.Values)
                {
                    await _context.Error.WriteLineAsync(Describe(p));
                }

                lastLine.Restart();
            }
        }

        Flush();
        return await running;

        void Flush()
        {
            while (_finished.TryDequeue(out var done))
            {
                _context.Error.WriteLine($"{done.Outcome.Date:yyyy-MM-dd} {done.Outcome.Kind.ToString().ToLowerInvariant()}: {done.Outcome.Message}");
            }
        }
    }
}
