using Backfill.Storage.Parquet;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Backfill.Engine.Datasets.Spx.Staging;
using ParquetSharp;

namespace Backfill.Engine.Datasets.Spx.Parquet;

/// <summary>
/// Converts a day's staging files into one sorted spx Parquet file. Files are taken in (root, expiration) order.
/// A file whose rows are already in (strike, right, ms_of_day) order (what the source delivers) is streamed: it is cut
/// into byte slices parsed on workers (up to <see cref="SpxParquetWriterOptions.ParseAhead"/> at once, into a fixed
/// pool of reusable batches) while this writer encodes the previous slice, so memory does not depend on the size of
/// an expiration or of the day. Order is checked as rows are parsed; if a file turns out not to be ordered, the
/// conversion starts over once, this time checking each file first and sorting the unordered ones in memory (with
/// exact key duplicates dropped). The output depends only on the staging input: no clock, no random ids, so reruns
/// are byte-identical.
/// </summary>
public sealed class SpxParquetWriter
{
    private readonly SpxParquetWriterOptions _options;

    public SpxParquetWriter(SpxParquetWriterOptions? options = null)
    {
        _options = options ?? new SpxParquetWriterOptions();
        _options.Validate();
    }

    /// <summary>Writes <paramref name="outputPath"/> (normally a temp path of <c>AtomicFilePublisher</c>).</summary>
    /// <exception cref="Backfill.Core.Errors.FileCorruptionException">A staging line is malformed or belongs elsewhere.</exception>
    public async Task<SpxParquetWriteResult> WriteAsync(
        IReadOnlyList<GreeksStagingFile> stagingFiles, string outputPath, SpxFileIdentity identity, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stagingFiles);
        ArgumentNullException.ThrowIfNull(identity);
        var ordered = Order(stagingFiles);

        // The conversion is the memory peak of a day, yet it allocates too little managed memory to trigger a
        // collection: whatever the download left as garbage would stay resident on top of it. Return it first.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        try
        {
            return await WriteOnceAsync(ordered, outputPath, identity, checkOrderFirst: false, cancellationToken);
        }
        catch (OutOfOrderException)
        {
            // Some file is not in key order: start over, deciding per file before writing any of its rows.
        }

        return await WriteOnceAsync(ordered, outputPath, identity, checkOrderFirst: true, cancellationToken) with { Passes = 2 };
    }

    private async Task<SpxParquetWriteResult> WriteOnceAsync(
        List<GreeksStagingFile> files, string outputPath, SpxFileIdentity identity, bool checkOrderFirst, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // A fixed set of ParseAhead + 2 slice batches (ParseAhead being parsed, one being encoded, one being hashed):
        // the memory bound. Each grows to the largest slice it has held (a few MB) and is reused.
        var pool = Channel.CreateBounded<GreeksColumnBatch>(_options.ParseAhead + 2);
        for (var i = 0; i < _options.ParseAhead + 2; i++)
        {
            pool.Writer.TryWrite(new GreeksColumnBatch(16));
        }

        // Unordered files (only when checkOrderFirst) are read whole and sorted, one at a time, in this batch.
        var wholeFile = Channel.CreateBounded<GreeksColumnBatch>(1);
        wholeFile.Writer.TryWrite(new GreeksColumnBatch(16));

        var channel = Channel.CreateBounded<Task<Piece>>(new BoundedChannelOptions(_options.ParseAhead)
        {
            SingleReader = true,
            SingleWriter = true,
        });
        var pools = new Pools(pool, wholeFile);
        var producer = Task.Run(() => ProduceAsync(files, identity.TradeDate, checkOrderFirst, channel.Writer, pools, cts.Token), cts.Token);
        try
        {
            // Every native Parquet call happens on one dedicated thread: native allocators keep per-thread heaps, and
            // buffers allocated on one thread pool thread and freed on another were kept instead of reused.
            var result = await Task.Factory.StartNew(
                () => Consume(channel.Reader, outputPath, identity, pools, cts.Token),
                cts.Token,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
            await producer;
            return result;
        }
        catch
        {
            await cts.CancelAsync();
            await Drain(producer, channel.Reader);
            throw;
        }
    }

    private static List<GreeksStagingFile> Order(IReadOnlyList<GreeksStagingFile> files)
    {
        var ordered = new List<GreeksStagingFile>(files);
        ordered.Sort(static (a, b) =>
        {
            var byRoot = string.CompareOrdinal(a.Root, b.Root);
            return byRoot != 0 ? byRoot : a.Expiration.CompareTo(b.Expiration);
        });
        for (var i = 1; i < ordered.Count; i++)
        {
            if (ordered[i].Root == ordered[i - 1].Root && ordered[i].Expiration == ordered[i - 1].Expiration)
            {
                throw new ArgumentException($"Two staging files for {ordered[i].Root} {ordered[i].Expiration:yyyy-MM-dd}.", nameof(files));
            }
        }

        return ordered;
    }

    private async Task ProduceAsync(
        List<GreeksStagingFile> files, DateOnly tradeDate, bool checkOrderFirst, ChannelWriter<Task<Piece>> writer, Pools pools, CancellationToken cancellationToken)
    {
        try
        {
            var sliceBytes = _options.SliceBytes;
            for (var f = 0; f < files.Count; f++)
            {
                var file = files[f];
                var length = new FileInfo(file.Path).Length;
                if (length == 0)
                {
                    continue;
                }

                if (checkOrderFirst && !IsOrdered(file, length, tradeDate, sliceBytes, cancellationToken))
                {
                    var whole = await pools.WholeFile.Reader.ReadAsync(cancellationToken);
                    await writer.WaitToWriteAsync(cancellationToken);
                    var index = f;
                    await writer.WriteAsync(Task.Run(() => ReadAndSort(file, index, tradeDate, whole), cancellationToken), cancellationToken);
                    continue;
                }

                for (long start = 0; start < length; start += sliceBytes)
                {
                    // A parse starts only with a free batch and the bounded channel holds at most ParseAhead parse tasks.
                    var batch = await pools.Slices.Reader.ReadAsync(cancellationToken);
                    await writer.WaitToWriteAsync(cancellationToken);
                    var (from, to, index) = (start, Math.Min(length, start + sliceBytes), f);
                    await writer.WriteAsync(Task.Run(() => ReadSlice(file, index, from, to, tradeDate, batch), cancellationToken), cancellationToken);
                }
            }

            writer.Complete();
        }
        catch (Exception ex)
        {
            writer.TryComplete(ex);
            throw;
        }
    }

    /// <summary>Whether the whole file is strictly ordered (parsed slice by slice into one scratch batch).</summary>
    private static bool IsOrdered(GreeksStagingFile file, long length, DateOnly tradeDate, int sliceBytes, CancellationToken cancellationToken)
    {
        var scratch = new GreeksColumnBatch(16);
        RowKey? last = null;
        for (long start = 0; start < length; start += sliceBytes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var keys = GreeksStagingReader.ReadSlice(file, start, Math.Min(length, start + sliceBytes), tradeDate, scratch);
            if (scratch.Count == 0)
            {
                continue;
            }

            if (!keys.Ordered || (last is { } previous && previous >= keys.First))
            {
                return false;
            }

            last = keys.Last;
        }

        return true;
    }

    private static Piece ReadSlice(GreeksStagingFile file, int fileIndex, long start, long end, DateOnly tradeDate, GreeksColumnBatch batch)
    {
        var keys = GreeksStagingReader.ReadSlice(file, start, end, tradeDate, batch);
        return new Piece(batch, fileIndex, keys, Sorted: false, DuplicatesDropped: 0);
    }

    private static Piece ReadAndSort(GreeksStagingFile file, int fileIndex, DateOnly tradeDate, GreeksColumnBatch batch)
    {
        GreeksStagingReader.ReadInto(file, tradeDate, batch);
        var duplicates = ExpirationSorter.SortInPlace(batch);
        return new Piece(batch, fileIndex, default, Sorted: true, duplicates);
    }

    private SpxParquetWriteResult Consume(
        ChannelReader<Task<Piece>> reader, string outputPath, SpxFileIdentity identity, Pools pools, CancellationToken cancellationToken)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ParquetMetadataKeys.Dataset] = identity.Dataset,
            [ParquetMetadataKeys.Date] = identity.TradeDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            [ParquetMetadataKeys.Source] = identity.Source,
            [ParquetMetadataKeys.ApiVersion] = identity.ApiVersion,
            [ParquetMetadataKeys.SchemaVersion] = SpxParquetMetadata.SpxSchemaVersion,
            [ParquetMetadataKeys.RowCount] = "",
            [ParquetMetadataKeys.ContentSha256] = "",
            [ParquetMetadataKeys.DuplicatesDropped] = "",
        };
        using var schema = SpxParquetSchema.CreateSchema();
        using var properties = SpxParquetSchema.CreateProperties(_options.CompressionLevel);
        using var file = new ParquetFileWriter(outputPath, schema, properties, metadata);
        using var columns = new RowGroupColumns();

        // The content checksum (sequential SHA-256) and the quality counts run on a second thread, in piece order,
        // so that they overlap the Parquet encoding instead of lengthening it.
        var hashQueue = Channel.CreateUnbounded<Piece>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var hasher = Task.Factory.StartNew(() => Hash(hashQueue.Reader, pools, _options.ExpectedBarsPerContract), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        long rows = 0;
        long duplicates = 0;
        var rowGroups = 0;
        RowGroupWriter? rowGroup = null;
        var rowsInGroup = 0;
        var lastFile = -1;
        var lastKey = default(RowKey);
        try
        {
            while (Next(reader, cancellationToken) is { } parse)
            {
                var piece = parse.GetAwaiter().GetResult();
                var batch = piece.Rows;
                if (!piece.Sorted && batch.Count > 0)
                {
                    // A streamed slice must continue its file's strictly increasing key order, or nothing of it is written.
                    if (!piece.Keys.Ordered || (piece.FileIndex == lastFile && lastKey >= piece.Keys.First))
                    {
                        throw new OutOfOrderException();
                    }

                    lastFile = piece.FileIndex;
                    lastKey = piece.Keys.Last;
                }

                duplicates += piece.DuplicatesDropped;
                hashQueue.Writer.TryWrite(piece);
                var offset = 0;
                while (offset < batch.Count)
                {
                    if (rowGroup is null)
                    {
                        rowGroup = file.AppendBufferedRowGroup();
                        rowGroups++;
                        rowsInGroup = 0;
                    }

                    var take = Math.Min(batch.Count - offset, _options.MaxRowGroupRows - rowsInGroup);
                    columns.Write(rowGroup, batch, offset, take);
                    offset += take;
                    rowsInGroup += take;
                    rows += take;
                    if (rowsInGroup == _options.MaxRowGroupRows)
                    {
                        rowGroup.Close();
                        rowGroup.Dispose();
                        rowGroup = null;
                    }
                }

                piece.Release(pools);
            }

            if (rowGroup is not null)
            {
                rowGroup.Close();
                rowGroup.Dispose();
                rowGroup = null;
            }

            hashQueue.Writer.Complete();
            var (contentSha256, quality) = hasher.GetAwaiter().GetResult();
            metadata[ParquetMetadataKeys.RowCount] = rows.ToString(CultureInfo.InvariantCulture);
            metadata[ParquetMetadataKeys.ContentSha256] = contentSha256;
            metadata[ParquetMetadataKeys.DuplicatesDropped] = duplicates.ToString(CultureInfo.InvariantCulture);
            file.Close();
            return new SpxParquetWriteResult(rows, contentSha256, duplicates, rowGroups, quality.ToStats());
        }
        finally
        {
            rowGroup?.Dispose();
            if (hashQueue.Writer.TryComplete())
            {
                // Failing (the normal path completed the queue already): let the hasher finish what it was given.
                try
                {
                    hasher.GetAwaiter().GetResult();
                }
                catch (Exception)
                {
                    // The consumer's exception is the one reported.
                }
            }
        }
    }

    private static (string ContentSha256, QualityAccumulator Quality) Hash(ChannelReader<Piece> queue, Pools pools, Func<string, DateOnly, int>? expectedBars)
    {
        using var checksum = new ContentChecksum();
        var quality = new QualityAccumulator(expectedBars);
        while (queue.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (queue.TryRead(out var piece))
            {
                checksum.AppendBatch(piece.Rows, 0, piece.Rows.Count);
                quality.AddDuplicates(piece.DuplicatesDropped);
                quality.Add(piece.Rows, 0, piece.Rows.Count);
                piece.Release(pools);
            }
        }

        return (checksum.FinishHex(), quality);
    }

    /// <summary>The next parse task, waiting on this (dedicated) thread; null once the producer completed.</summary>
    private static Task<Piece>? Next(ChannelReader<Task<Piece>> reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (reader.TryRead(out var parse))
            {
                return parse;
            }

            if (!reader.WaitToReadAsync(cancellationToken).AsTask().GetAwaiter().GetResult())
            {
                return null;
            }
        }
    }

    private static async Task Drain(Task producer, ChannelReader<Task<Piece>> reader)
    {
        try
        {
            await producer;
        }
        catch (Exception)
        {
            // The consumer's exception is the one reported; the producer only stopped because of it.
        }

        while (reader.TryRead(out var pending))
        {
            try
            {
                await pending;
            }
            catch (Exception)
            {
                // Observed so it does not surface as an unobserved task exception.
            }
        }
    }

    /// <summary>
    /// Rows handed to the writer: a slice of an ordered file, or a whole unordered file sorted in memory. Its batch
    /// goes back to its pool once both the Parquet encoder and the hasher are done with it.
    /// </summary>
    private sealed record Piece(GreeksColumnBatch Rows, int FileIndex, SliceKeys Keys, bool Sorted, int DuplicatesDropped)
    {
        private int _users = 2;

        public void Release(Pools pools)
        {
            if (Interlocked.Decrement(ref _users) == 0)
            {
                (Sorted ? pools.WholeFile : pools.Slices).Writer.TryWrite(Rows);
            }
        }
    }

    private sealed record Pools(Channel<GreeksColumnBatch> Slices, Channel<GreeksColumnBatch> WholeFile);

    /// <summary>A streamed file is not in key order (internal: triggers the checked second pass).</summary>
    private sealed class OutOfOrderException : Exception
    {
    }

    /// <summary>Scratch arrays for the columns that need conversion before ParquetSharp's physical writers.</summary>
    private sealed class RowGroupColumns : IDisposable
    {
        private readonly byte[] _asciiBytes = GC.AllocateArray<byte>(256, pinned: true);
        private readonly Dictionary<string, (byte[] Bytes, nint Pointer)> _roots = new(StringComparer.Ordinal);
        private const int ChunkRows = 64 * 1024;
        private readonly int[] _ints = new int[ChunkRows];
        private readonly long[] _longs = new long[ChunkRows];
        private readonly ByteArray[] _byteArrays = new ByteArray[ChunkRows];

        public RowGroupColumns()
        {
            for (var i = 0; i < 256; i++)
            {
                _asciiBytes[i] = (byte)i;
            }
        }

        public void Write(RowGroupWriter rowGroup, GreeksColumnBatch batch, int offset, int count)
        {
            // Fixed-size scratch: columns are fed in chunks (a multiple of Arrow's 1024-row write batch).
            for (var done = 0; done < count; done += ChunkRows)
            {
                WriteChunk(rowGroup, batch, offset + done, Math.Min(ChunkRows, count - done));
            }
        }

        private void WriteChunk(RowGroupWriter rowGroup, GreeksColumnBatch batch, int offset, int count)
        {
            var ints = _ints.AsSpan(0, count);
            var byteArrays = _byteArrays.AsSpan(0, count);

            ints.Fill(ContentChecksum.ToEpochDays(batch.TradeDate));
            WritePhysical<int>(rowGroup, SpxParquetSchema.TradeDate, ints);

            byteArrays.Fill(RootBytes(batch.Root));
            WritePhysical<ByteArray>(rowGroup, SpxParquetSchema.Root, byteArrays);

            ints.Fill(ContentChecksum.ToEpochDays(batch.Expiration));
            WritePhysical<int>(rowGroup, SpxParquetSchema.Expiration, ints);

            var longs = _longs.AsSpan(0, count);
            var strikes = batch.Strike.AsSpan(offset, count);
            for (var i = 0; i < count; i++)
            {
                longs[i] = strikes[i];
            }

            WritePhysical<long>(rowGroup, SpxParquetSchema.Strike, longs);

            var rights = batch.Right.AsSpan(offset, count);
            var ascii = Marshal.UnsafeAddrOfPinnedArrayElement(_asciiBytes, 0);
            for (var i = 0; i < count; i++)
            {
                byteArrays[i] = new ByteArray(ascii + rights[i], 1);
            }

            WritePhysical<ByteArray>(rowGroup, SpxParquetSchema.Right, byteArrays);
            WritePhysical<int>(rowGroup, SpxParquetSchema.MsOfDay, batch.MsOfDay.AsSpan(offset, count));
            for (var c = 0; c < GreeksColumnBatch.UnderlyingPrice; c++)
            {
                WritePhysical<double>(rowGroup, SpxParquetSchema.FirstDouble + c, batch.Doubles[c].AsSpan(offset, count));
            }

            WritePhysical<int>(rowGroup, SpxParquetSchema.MsOfDay2, batch.MsOfDay2.AsSpan(offset, count));
            WritePhysical<double>(rowGroup, SpxParquetSchema.UnderlyingPrice, batch.Doubles[GreeksColumnBatch.UnderlyingPrice].AsSpan(offset, count));
        }

        public void Dispose()
        {
            _roots.Clear();
        }

        private static void WritePhysical<T>(RowGroupWriter rowGroup, int column, ReadOnlySpan<T> values)
            where T : unmanaged
        {
            using var writer = (ColumnWriter<T>)rowGroup.Column(column);
            writer.WriteBatch(values);
        }

        private ByteArray RootBytes(string root)
        {
            if (!_roots.TryGetValue(root, out var entry))
            {
                var utf8 = System.Text.Encoding.UTF8.GetBytes(root);
                var pinned = GC.AllocateArray<byte>(utf8.Length, pinned: true);
                utf8.CopyTo(pinned, 0);
                entry = (pinned, Marshal.UnsafeAddrOfPinnedArrayElement(pinned, 0));
                _roots[root] = entry;
            }

            return new ByteArray(entry.Pointer, entry.Bytes.Length);
        }
    }
}
