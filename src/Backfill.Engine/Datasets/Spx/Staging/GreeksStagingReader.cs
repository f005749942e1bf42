using System.Runtime.CompilerServices;
using System.Text;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Core.Errors;
using F = Backfill.Engine.Datasets.Spx.Staging.GreeksStagingFormat;

namespace Backfill.Engine.Datasets.Spx.Staging;

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
    /// Fills <paramref name="batch"/> with every row of <paramref name="file"/> (the converter's path for a file whose
    /// rows are not in key order: they must all be in memory to be sorted).
    /// Every row must belong to the file's root and expiration and to <paramref name="tradeDate"/>.
    /// </summary>
    internal static void ReadInto(GreeksStagingFile file, DateOnly tradeDate, GreeksColumnBatch batch)
    {
        batch.Reset(file.Root, file.Expiration, tradeDate);
        var context = new LineContext(file, tradeDate);
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

                context.Parse(line, batch, index, chunks.LineNumber);
                batch.Count = index + 1;
            }
        }
    }

    /// <summary>
    /// Fills <paramref name="batch"/> with the rows of <paramref name="file"/> whose line starts at a byte offset in
    /// [<paramref name="start"/>, <paramref name="end"/>) (a line that starts before <paramref name="start"/> belongs
    /// to the previous slice, one that starts before <paramref name="end"/> is read to its newline). Slices of one file
    /// can be parsed in parallel and cover every line exactly once. Also reports whether the slice's rows are strictly
    /// increasing in (strike, right, ms_of_day), and its first and last keys.
    /// </summary>
    /// <exception cref="FileCorruptionException">A line is malformed or belongs elsewhere (with its line number in the file).</exception>
    internal static SliceKeys ReadSlice(GreeksStagingFile file, long start, long end, DateOnly tradeDate, GreeksColumnBatch batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfLessThan(end, start);
        batch.Reset(file.Root, file.Expiration, tradeDate);
        try
        {
            return ReadSliceCore(file, start, end, new LineContext(file, tradeDate), batch);
        }
        catch (FileCorruptionException) when (start > 0)
        {
            // Line numbers inside a slice are relative to it: find the file's first bad line from the top instead.
            Validate(file, tradeDate);
            throw;
        }
    }

    /// <summary>Parses the whole file sequentially (one row at a time) and throws at its first bad line, if any.</summary>
    internal static void Validate(GreeksStagingFile file, DateOnly tradeDate)
    {
        var context = new LineContext(file, tradeDate);
        var scratch = new GreeksColumnBatch(16);
        scratch.Reset(file.Root, file.Expiration, tradeDate);
        using var stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        using var chunks = new NdjsonChunkBuffer(file.Path);
        while (true)
        {
            var read = stream.Read(chunks.FreeSpace().Span);
            chunks.Filled(read);
            if (read == 0)
            {
                return;
            }

            while (chunks.TryTakeLine(out var line))
            {
                context.Parse(line, scratch, 0, chunks.LineNumber);
            }
        }
    }

    private static SliceKeys ReadSliceCore(GreeksStagingFile file, long start, long end, LineContext context, GreeksColumnBatch batch)
    {
        // Start one byte early: the first "line" taken (up to the first newline at or after start - 1) is the tail
        // of a line owned by the previous slice, or empty when start - 1 is a newline; it is skipped either way.
        var origin = start > 0 ? start - 1 : 0;
        var skip = start > 0;
        using var stream = new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.None);
        stream.Position = origin;
        using var chunks = new NdjsonChunkBuffer(file.Path);
        var position = origin;
        var ordered = true;
        var previous = default(RowKey);
        while (true)
        {
            // Read up to the slice end (plus a little, to finish its last line), never the whole rest of the file.
            var free = chunks.FreeSpace().Span;
            var wanted = position < end ? end - position + 16_384 : 65_536;
            var read = stream.Read(free[..(int)Math.Min(free.Length, wanted)]);
            chunks.Filled(read);
            position += read;
            if (read == 0)
            {
                return Keys(batch, ordered);
            }

            while (true)
            {
                var lineStart = origin + chunks.Consumed;
                if (!chunks.TryTakeLine(out var line))
                {
                    break;
                }

                if (skip)
                {
                    skip = false;
                    continue;
                }

                if (lineStart >= end)
                {
                    return Keys(batch, ordered);
                }

                var index = batch.Count;
                if (index == batch.Capacity)
                {
                    batch.EnsureCapacity(index + 1);
                }

                context.Parse(line, batch, index, chunks.LineNumber);
                var key = new RowKey(batch.Strike[index], batch.Right[index], batch.MsOfDay[index]);
                ordered &= index == 0 || previous.CompareTo(key) < 0;
                previous = key;
                batch.Count = index + 1;
            }
        }
    }

    private static SliceKeys Keys(GreeksColumnBatch batch, bool ordered) =>
        batch.Count == 0
            ? new SliceKeys(ordered, default, default)
            : new SliceKeys(ordered, RowKey.At(batch, 0), RowKey.At(batch, batch.Count - 1));

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

    /// <summary>Parses one line into a batch row and checks it belongs to the file's root, expiration and date.</summary>
    private sealed class LineContext(GreeksStagingFile file, DateOnly tradeDate)
    {
        private readonly byte[] _rootBytes = Encoding.UTF8.GetBytes(file.Root);
        private readonly int _expectedDate = F.ToNumber(tradeDate);
        private readonly int _expectedExpiration = F.ToNumber(file.Expiration);

        public void Parse(ReadOnlySpan<byte> line, GreeksColumnBatch batch, int index, long lineNumber)
        {
            if (!GreeksLineFastParser.TryParse(line, batch, index, out var header))
            {
                GreeksLineParser.Parse(line, batch, index, out header, file.Path, lineNumber);
            }

            var root = header.EscapedRoot is null ? line.Slice(header.RootStart, header.RootLength) : Encoding.UTF8.GetBytes(header.EscapedRoot);
            if (header.TradeDate != _expectedDate || header.Expiration != _expectedExpiration || !root.SequenceEqual(_rootBytes))
            {
                throw GreeksLineParser.Corrupt(
                    file.Path,
                    lineNumber,
                    $"row belongs to {Encoding.UTF8.GetString(root)} {header.Expiration} on {header.TradeDate}, not to the file's {file.Root} {_expectedExpiration} on {_expectedDate}");
            }
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
