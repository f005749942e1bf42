using System.Runtime.CompilerServices;
using System.Text;
using Backfill.Core.Datasets;
using Backfill.Core.Errors;
using F = Backfill.Storage.Staging.GreeksStagingFormat;

namespace Backfill.Storage.Staging;

/// <summary>
/// Streams the rows of a completed staging file. A malformed or truncated line raises
/// <see cref="FileCorruptionException"/> naming the file and the line.
/// </summary>
public static class GreeksStagingReader
{
    /// <summary>Reads every row in file order through a pooled buffer.</summary>
    public static async IAsyncEnumerable<OptionGreeksRow> ReadAllAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        using var chunks = new NdjsonChunkBuffer(path);
        var scratch = new GreeksColumnBatch(16);
        var rows = new List<OptionGreeksRow>(4096);
        var roots = new RootCache();
        while (true)
        {
            var read = await stream.ReadAsync(chunks.FreeSpace(), cancellationToken);
            chunks.Filled(read);
            if (read == 0)
            {
                yield break;
            }

            rows.Clear();
            ParseAvailable(chunks, scratch, rows, roots, path);
            foreach (var row in rows)
            {
                yield return row;
            }
        }
    }

    /// <summary>
    /// Fills <paramref name="batch"/> with every row of <paramref name="file"/> (the converter's fast path).
    /// Every row must belong to the file's root and expiration and to <paramref name="tradeDate"/>.
    /// </summary>
    internal static void ReadInto(GreeksStagingFile file, DateOnly tradeDate, GreeksColumnBatch batch)
    {
        batch.Reset(file.Root, file.Expiration, tradeDate);
        var rootBytes = Encoding.UTF8.GetBytes(file.Root);
        var expectedDate = F.ToNumber(tradeDate);
        var expectedExpiration = F.ToNumber(file.Expiration);
        using var stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        using var chunks = new NdjsonChunkBuffer(file.Path);
        var length = stream.Length;
        var first = true;
        while (true)
        {
            var read = stream.Read(chunks.FreeSpace().Span);
            chunks.Filled(read);
            if (read == 0)
            {
                return;
            }

            if (first)
            {
                // Size the columns once from the first chunk's line length instead of growing (and copying) repeatedly.
                first = false;
                var lines = chunks.CountCompleteLines();
                if (lines > 0)
                {
                    batch.EnsureCapacity((int)Math.Min(Array.MaxLength, (length * lines / read) + (length * lines / read / 64) + 16));
                }
            }

            while (chunks.TryTakeLine(out var line))
            {
                var index = batch.Count;
                if (index == batch.Capacity)
                {
                    batch.EnsureCapacity(index + 1);
                }

                if (!GreeksLineFastParser.TryParse(line, batch, index, out var header))
                {
                    GreeksLineParser.Parse(line, batch, index, out header, file.Path, chunks.LineNumber);
                }

                var root = header.EscapedRoot is null ? line.Slice(header.RootStart, header.RootLength) : Encoding.UTF8.GetBytes(header.EscapedRoot);
                if (header.TradeDate != expectedDate || header.Expiration != expectedExpiration || !root.SequenceEqual(rootBytes))
                {
                    throw GreeksLineParser.Corrupt(
                        file.Path,
                        chunks.LineNumber,
                        $"row belongs to {Encoding.UTF8.GetString(root)} {header.Expiration} on {header.TradeDate}, not to the file's {file.Root} {expectedExpiration} on {expectedDate}");
                }

                batch.Count = index + 1;
            }
        }
    }

    private static void ParseAvailable(NdjsonChunkBuffer chunks, GreeksColumnBatch scratch, List<OptionGreeksRow> rows, RootCache roots, string path)
    {
        while (chunks.TryTakeLine(out var line))
        {
            GreeksLineParser.Parse(line, scratch, 0, out var header, path, chunks.LineNumber);
            if (!F.TryFromNumber(header.TradeDate, out var tradeDate) || !F.TryFromNumber(header.Expiration, out var expiration))
            {
                throw GreeksLineParser.Corrupt(path, chunks.LineNumber, "invalid date");
            }

            var root = header.EscapedRoot ?? roots.Get(line.Slice(header.RootStart, header.RootLength));
            var d = scratch.Doubles;
            rows.Add(new OptionGreeksRow(
                tradeDate,
                root,
                expiration,
                scratch.Strike[0],
                (char)scratch.Right[0],
                scratch.MsOfDay[0],
                d[GreeksColumnBatch.Bid][0],
                d[GreeksColumnBatch.Ask][0],
                d[GreeksColumnBatch.Delta][0],
                d[GreeksColumnBatch.Theta][0],
                d[GreeksColumnBatch.Vega][0],
                d[GreeksColumnBatch.Rho][0],
                d[GreeksColumnBatch.Epsilon][0],
                d[GreeksColumnBatch.Lambda][0],
                d[GreeksColumnBatch.ImpliedVol][0],
                d[GreeksColumnBatch.IvError][0],
                scratch.MsOfDay2[0],
                d[GreeksColumnBatch.UnderlyingPrice][0]));
        }
    }

    /// <summary>Avoids one string allocation per row: roots repeat on every line.</summary>
    private sealed class RootCache
    {
        private byte[] _lastBytes = [];
        private string _last = "";

        public string Get(ReadOnlySpan<byte> utf8)
        {
            if (!utf8.SequenceEqual(_lastBytes))
            {
                _lastBytes = utf8.ToArray();
                _last = Encoding.UTF8.GetString(utf8);
            }

            return _last;
        }
    }
}
