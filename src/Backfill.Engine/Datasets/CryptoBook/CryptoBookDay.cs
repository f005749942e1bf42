using Backfill.Sources.CryptoLake.Book;
using Backfill.Sources.CryptoLake.Lake;

namespace Backfill.Engine.Datasets.CryptoBook;

/// <summary>What the rebuild of one day produced.</summary>
public sealed record CryptoBookDayResult(long Rows, long Trades, long Deltas, long SnapshotsWritten, BookQuality Quality, LakeReadStats Read, long TradePrecisionLoss, int MaxDepth);

/// <summary>
/// The rebuild of one day: book messages and vendor snapshots merged by sequence number (a snapshot after every
/// message at or below its sequence number), trades merged in by received time, and a top-N snapshot of the rebuilt
/// book every interval (and whenever the book is seeded or healed). Everything streams: memory holds the book, one
/// message and one row group of output.
/// </summary>
internal static class CryptoBookDay
{
    public static CryptoBookDayResult Run(
        DateOnly date, IReadOnlyList<string> deltaFiles, IReadOnlyList<string> bookFiles, IReadOnlyList<string> tradeFiles,
        CryptoBookOptions options, CryptoBookEventWriter writer, Action<long>? progress, CancellationToken cancellationToken)
    {
        var read = new LakeReadStats();
        var rebuilder = new LakeBookRebuilder(options.Tick, options.Lot);
        var interval = options.SnapshotIntervalSeconds * 1_000_000_000L;
        var dayStart = (date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) - DateTime.UnixEpoch).Ticks * 100;
        var dayEnd = dayStart + 86_400_000_000_000L;
        var nextPeriodic = dayStart + interval;
        long tradePrecisionLoss = 0;
        var maxDepth = 0;
        var top = new (long Price, long Size)[options.Depth];

        using var messages = MessageGrouper.Group(deltaFiles.SelectMany(f => LakeFileReader.ReadDeltas(f, read))).GetEnumerator();
        using var snapshots = bookFiles.SelectMany(f => LakeFileReader.ReadSnapshots(f, read)).GetEnumerator();
        using var trades = tradeFiles.SelectMany(f => LakeFileReader.ReadTrades(f, read)).GetEnumerator();
        var hasMessage = messages.MoveNext();
        var snapshot = snapshots.MoveNext() ? snapshots.Current : null;
        LakeTrade? trade = trades.MoveNext() ? trades.Current : null;

        void EmitSnapshot(long received, long origin, string reason)
        {
            var nb = rebuilder.Book.Top(true, top);
            var bp = new long[nb];
            var bs = new long[nb];
            for (var i = 0; i < nb; i++)
            {
                (bp[i], bs[i]) = top[i];
            }

            var na = rebuilder.Book.Top(false, top);
            var ap = new long[na];
            var az = new long[na];
            for (var i = 0; i < na; i++)
            {
                (ap[i], az[i]) = top[i];
            }

            maxDepth = Math.Max(maxDepth, Math.Max(rebuilder.Book.BidLevels, rebuilder.Book.AskLevels));
            writer.Snapshot(received, origin, rebuilder.LastSequence, reason, bp, bs, ap, az);
        }

        void CatchUp(long until)
        {
            while (true)
            {
                var tradeTime = trade?.ReceivedTimeNs ?? long.MaxValue;
                var periodicTime = rebuilder.Seeded && nextPeriodic < dayEnd ? nextPeriodic : long.MaxValue;
                if (Math.Min(tradeTime, periodicTime) > until || (tradeTime == long.MaxValue && periodicTime == long.MaxValue))
                {
                    return;
                }

                if (tradeTime <= periodicTime)
                {
                    var t = trade!.Value;
                    var price = options.Tick.ToUnits(t.Price, out var offPrice);
                    var size = options.Lot.ToUnits(t.Quantity, out var offSize);
                    tradePrecisionLoss += offPrice || offSize ? 1 : 0;
                    writer.Trade(t.ReceivedTimeNs, t.OriginTimeNs, t.TradeId, t.BuyerAggressor, price, size);
                    trade = trades.MoveNext() ? trades.Current : null;
                }
                else
                {
                    EmitSnapshot(nextPeriodic, nextPeriodic, "periodic");
                    nextPeriodic += interval;
                }
            }
        }

        long steps = 0;
        while (hasMessage || snapshot is not null)
        {
            if ((++steps & 0x3FFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Invoke(writer.Rows);
            }

            if (snapshot is not null && (!hasMessage || snapshot.SequenceNumber < messages.Current.Span[0].SequenceNumber))
            {
                CatchUp(snapshot.ReceivedTimeNs);
                var wasSeeded = rebuilder.Seeded;
                var outcome = rebuilder.ApplySnapshot(snapshot);
                if (outcome.Loaded && (!wasSeeded || outcome.Mismatches > 0))
                {
                    EmitSnapshot(snapshot.ReceivedTimeNs, snapshot.OriginTimeNs, wasSeeded ? "heal" : "seed");
                }

                snapshot = snapshots.MoveNext() ? snapshots.Current : null;
                continue;
            }

            var message = messages.Current.Span;
            CatchUp(message[0].ReceivedTimeNs);
            if (rebuilder.ApplyMessage(message) == MessageOutcome.Applied)
            {
                foreach (ref readonly var row in message)
                {
                    writer.Delta(row.ReceivedTimeNs, row.OriginTimeNs, row.SequenceNumber, row.IsBid,
                        options.Tick.ToUnits(row.Price, out _), options.Lot.ToUnits(row.Size, out _));
                }
            }

            hasMessage = messages.MoveNext();
        }

        CatchUp(long.MaxValue - 1);
        return new CryptoBookDayResult(writer.Rows, writer.Trades, writer.Deltas, writer.Snapshots, rebuilder.Quality, read, tradePrecisionLoss, maxDepth);
    }
}
