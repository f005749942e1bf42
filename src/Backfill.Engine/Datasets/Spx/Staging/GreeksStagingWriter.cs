using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using Backfill.Core.IO;
using Backfill.Core.Text;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Storage.Publish;
using F = Backfill.Engine.Datasets.Spx.Staging.GreeksStagingFormat;

namespace Backfill.Engine.Datasets.Spx.Staging;

/// <summary>
/// Writes the rows of one sub-unit (one expiration of one root on one date) to <c>name.ndjson.part</c>;
/// <see cref="CompleteAsync"/> flushes, fsyncs and renames it to <c>name.ndjson</c>. A <c>.ndjson</c> file
/// therefore exists only for a sub-unit that completed; disposing without completing deletes the part file.
/// </summary>
public sealed class GreeksStagingWriter : IAsyncDisposable
{
    private const int FlushThreshold = 1 << 20;

    private readonly ArrayBufferWriter<byte> _buffer = new(FlushThreshold + 4096);
    private readonly FileStream _stream;
    private readonly int[] _decimals = new int[11];
    private string? _root;
    private byte[] _rootJson = [];
    private bool _completed;
    private bool _disposed;

    private GreeksStagingWriter(string directory, string subUnitName)
    {
        PartialPath = Path.Combine(directory, subUnitName + F.PartialExtension);
        CompletePath = Path.Combine(directory, subUnitName + F.CompleteExtension);
        _stream = new FileStream(PartialPath, OwnerOnly.WriteOptions(FileMode.Create, FileOptions.Asynchronous, bufferSize: 0));
    }

    /// <summary>Path of the file while it is being written.</summary>
    public string PartialPath { get; }

    /// <summary>Path the file gets once <see cref="CompleteAsync"/> succeeded.</summary>
    public string CompletePath { get; }

    /// <summary>Rows written so far.</summary>
    public long RowCount { get; private set; }

    /// <summary>Starts a sub-unit file; an existing part file of the same name (a crashed attempt) is replaced.</summary>
    public static GreeksStagingWriter Create(string directory, string subUnitName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        GreeksStaging.ValidateName(subUnitName);
        OwnerOnly.CreateDirectory(directory);
        return new GreeksStagingWriter(directory, subUnitName);
    }

    /// <summary>Appends one row; only touches the disk when the internal buffer is full.</summary>
    public ValueTask WriteAsync(OptionGreeksRow row, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed || _completed, this);
        WriteLine(row);
        RowCount++;
        return _buffer.WrittenCount >= FlushThreshold ? FlushBufferAsync(cancellationToken) : ValueTask.CompletedTask;
    }

    /// <summary>Flushes, fsyncs and renames the part file to its complete name (then fsyncs the directory).</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed || _completed, this);
        await FlushBufferAsync(cancellationToken);
        await _stream.FlushAsync(cancellationToken);
        _stream.Flush(flushToDisk: true);
        await _stream.DisposeAsync();
        File.Move(PartialPath, CompletePath, overwrite: true);
        DirectorySync.Fsync(Path.GetDirectoryName(Path.GetFullPath(CompletePath))!);
        _completed = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_completed)
        {
            await _stream.DisposeAsync();
            File.Delete(PartialPath);
        }
    }

    private async ValueTask FlushBufferAsync(CancellationToken cancellationToken)
    {
        if (_buffer.WrittenCount > 0)
        {
            await _stream.WriteAsync(_buffer.WrittenMemory, cancellationToken);
            _buffer.ResetWrittenCount();
        }
    }

    /// <summary>
    /// Writes one line in the documented field order (the order the reader's fast path expects), straight into the
    /// buffer: integers as digits, doubles as the shortest plain decimal that reads back to the same bits
    /// (<see cref="ExactDecimal.TryFormat"/>), else the framework's shortest round-trip text ("R"); non-finite doubles
    /// as the strings <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c>.
    /// </summary>
    private void WriteLine(in OptionGreeksRow row)
    {
        if (!ReferenceEquals(row.Root, _root))
        {
            _root = row.Root;
            _rootJson = Quoted(row.Root);
        }

        var span = _buffer.GetSpan(MaxFixedLineBytes + _rootJson.Length);
        var p = 0;
        Literal(span, ref p, "{\"d\":"u8);
        Int(span, ref p, F.ToNumber(row.TradeDate));
        Literal(span, ref p, ",\"r\":"u8);
        Literal(span, ref p, _rootJson);
        Literal(span, ref p, ",\"e\":"u8);
        Int(span, ref p, F.ToNumber(row.Expiration));
        Literal(span, ref p, ",\"k\":"u8);
        Int(span, ref p, row.StrikeMilli);
        Literal(span, ref p, ",\"c\":"u8);
        Literal(span, ref p, row.Right switch { 'C' => "\"C\""u8, 'P' => "\"P\""u8, _ => Quoted(row.Right.ToString()) });
        Literal(span, ref p, ",\"m\":"u8);
        Int(span, ref p, row.MsOfDay);
        Literal(span, ref p, ",\"b\":"u8);
        Double(span, ref p, row.Bid, ref _decimals[0]);
        Literal(span, ref p, ",\"a\":"u8);
        Double(span, ref p, row.Ask, ref _decimals[1]);
        Literal(span, ref p, ",\"dl\":"u8);
        Double(span, ref p, row.Delta, ref _decimals[2]);
        Literal(span, ref p, ",\"th\":"u8);
        Double(span, ref p, row.Theta, ref _decimals[3]);
        Literal(span, ref p, ",\"vg\":"u8);
        Double(span, ref p, row.Vega, ref _decimals[4]);
        Literal(span, ref p, ",\"rh\":"u8);
        Double(span, ref p, row.Rho, ref _decimals[5]);
        Literal(span, ref p, ",\"ep\":"u8);
        Double(span, ref p, row.Epsilon, ref _decimals[6]);
        Literal(span, ref p, ",\"lm\":"u8);
        Double(span, ref p, row.Lambda, ref _decimals[7]);
        Literal(span, ref p, ",\"iv\":"u8);
        Double(span, ref p, row.ImpliedVol, ref _decimals[8]);
        Literal(span, ref p, ",\"ie\":"u8);
        Double(span, ref p, row.IvError, ref _decimals[9]);
        Literal(span, ref p, ",\"m2\":"u8);
        Int(span, ref p, row.MsOfDay2);
        Literal(span, ref p, ",\"u\":"u8);
        Double(span, ref p, row.UnderlyingPrice, ref _decimals[10]);
        Literal(span, ref p, "}\n"u8);
        _buffer.Advance(p);
    }

    /// <summary>Longest line without its root: field names and punctuation, 5 integers and 11 doubles of at most 32 bytes.</summary>
    private const int MaxFixedLineBytes = 128 + (5 * 11) + (11 * 32) + 32;

    private static byte[] Quoted(string text) => [(byte)'"', .. JsonEncodedText.Encode(text).EncodedUtf8Bytes, (byte)'"'];

    private static void Literal(Span<byte> span, ref int p, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(span[p..]);
        p += bytes.Length;
    }

    private static void Int(Span<byte> span, ref int p, int value)
    {
        Utf8Formatter.TryFormat(value, span[p..], out var written);
        p += written;
    }

    /// <param name="decimals">The column's decimals so far (see <see cref="ExactDecimal.TryFormat(double, Span{byte}, ref int, out int)"/>).</param>
    private static void Double(Span<byte> span, ref int p, double value, ref int decimals)
    {
        // JSON has no NaN/Infinity literals: those are written as strings.
        int written;
        if (ExactDecimal.TryFormat(value, span[p..], ref decimals, out written))
        {
            p += written;
        }
        else if (double.IsFinite(value))
        {
            value.TryFormat(span[p..], out written, "R", CultureInfo.InvariantCulture);
            p += written;
        }
        else
        {
            Literal(span, ref p, double.IsNaN(value) ? "\"NaN\""u8 : value > 0 ? "\"Infinity\""u8 : "\"-Infinity\""u8);
        }
    }
}
