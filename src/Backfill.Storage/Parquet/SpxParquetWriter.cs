using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Backfill.Storage.Staging;
using ParquetSharp;

namespace Backfill.Storage.Parquet;

/// <summary>
/// Converts a day's staging files into one sorted spx Parquet file. Files are taken in (root, expiration) order;
/// each is parsed and sorted on a worker (up to <see cref="SpxParquetWriterOptions.ParseAhead"/> at once, bounded)
/// while this writer encodes the previous one, so memory stays bounded by a few expirations plus one row group.
/// The output depends only on the staging input: no clock, no random ids, so reruns are byte-identical.
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
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // A fixed set of ParseAhead + 1 batches (one being written, ParseAhead being parsed): the memory bound.
        // Each grows to the largest expiration it has held and is reused, never reallocated per file.
        var pool = Channel.CreateBounded<GreeksColumnBatch>(_options.ParseAhead + 1);
        for (var i = 0; i <= _options.ParseAhead; i++)
        {
            pool.Writer.TryWrite(new GreeksColumnBatch(16));
        }

        var channel = Channel.CreateBounded<Task<SortedExpiration>>(new BoundedChannelOptions(_options.ParseAhead)
        {
            SingleReader = true,
            SingleWriter = true,
        });
        var producer = Task.Run(() => ProduceAsync(ordered, identity.TradeDate, channel.Writer, pool, cts.Token), cts.Token);
        try
        {
            var result = await Task.Run(() => ConsumeAsync(channel.Reader, outputPath, identity, pool, cts.Token), cts.Token);
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

    private static async Task ProduceAsync(
        List<GreeksStagingFile> files, DateOnly tradeDate, ChannelWriter<Task<SortedExpiration>> writer, Channel<GreeksColumnBatch> pool, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var file in files)
            {
                // A parse starts only with a free batch and the bounded channel holds at most ParseAhead parse tasks.
                var batch = await pool.Reader.ReadAsync(cancellationToken);
                await writer.WaitToWriteAsync(cancellationToken);
                var parse = Task.Run(() => ParseAndSort(file, tradeDate, batch), cancellationToken);
                await writer.WriteAsync(parse, cancellationToken);
            }

            writer.Complete();
        }
        catch (Exception ex)
        {
            writer.TryComplete(ex);
            throw;
        }
    }

    private static SortedExpiration ParseAndSort(GreeksStagingFile file, DateOnly tradeDate, GreeksColumnBatch batch)
    {
        GreeksStagingReader.ReadInto(file, tradeDate, batch);
        var duplicates = ExpirationSorter.SortInPlace(batch);
        return new SortedExpiration(batch, duplicates);
    }

    private async Task<SpxParquetWriteResult> ConsumeAsync(
        ChannelReader<Task<SortedExpiration>> reader, string outputPath, SpxFileIdentity identity, Channel<GreeksColumnBatch> pool, CancellationToken cancellationToken)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [SpxParquetMetadata.Dataset] = SpxParquetMetadata.SpxDataset,
            [SpxParquetMetadata.Date] = identity.TradeDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            [SpxParquetMetadata.Source] = identity.Source,
            [SpxParquetMetadata.ApiVersion] = identity.ApiVersion,
            [SpxParquetMetadata.SchemaVersion] = SpxParquetMetadata.SpxSchemaVersion,
            [SpxParquetMetadata.RowCount] = "",
            [SpxParquetMetadata.ContentSha256] = "",
            [SpxParquetMetadata.DuplicatesDropped] = "",
        };
        using var schema = SpxParquetSchema.CreateSchema();
        using var properties = SpxParquetSchema.CreateProperties(_options.CompressionLevel);
        using var file = new ParquetFileWriter(outputPath, schema, properties, metadata);
        using var checksum = new ContentChecksum();
        using var columns = new RowGroupColumns();
        var quality = new QualityAccumulator();
        long rows = 0;
        long duplicates = 0;
        var rowGroups = 0;
        RowGroupWriter? rowGroup = null;
        var rowsInGroup = 0;
        try
        {
            await foreach (var parse in reader.ReadAllAsync(cancellationToken))
            {
                var expiration = await parse;
                var batch = expiration.Rows;
                duplicates += expiration.DuplicatesDropped;
                quality.AddDuplicates(expiration.DuplicatesDropped);
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
                    checksum.AppendBatch(batch, offset, take);
                    quality.Add(batch, offset, take);
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

                pool.Writer.TryWrite(batch);
            }

            if (rowGroup is not null)
            {
                rowGroup.Close();
                rowGroup.Dispose();
                rowGroup = null;
            }

            var contentSha256 = checksum.FinishHex();
            metadata[SpxParquetMetadata.RowCount] = rows.ToString(CultureInfo.InvariantCulture);
            metadata[SpxParquetMetadata.ContentSha256] = contentSha256;
            metadata[SpxParquetMetadata.DuplicatesDropped] = duplicates.ToString(CultureInfo.InvariantCulture);
            file.Close();
            return new SpxParquetWriteResult(rows, contentSha256, duplicates, rowGroups, quality.ToStats());
        }
        finally
        {
            rowGroup?.Dispose();
        }
    }

    private static async Task Drain(Task producer, ChannelReader<Task<SortedExpiration>> reader)
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

    private sealed record SortedExpiration(GreeksColumnBatch Rows, int DuplicatesDropped);

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
