using System.Buffers;
using System.Text.Json;
using Backfill.Core.IO;
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
    private readonly Utf8JsonWriter _json;
    private readonly FileStream _stream;
    private bool _completed;
    private bool _disposed;

    private GreeksStagingWriter(string directory, string subUnitName)
    {
        PartialPath = Path.Combine(directory, subUnitName + F.PartialExtension);
        CompletePath = Path.Combine(directory, subUnitName + F.CompleteExtension);
        _stream = new FileStream(PartialPath, OwnerOnly.WriteOptions(FileMode.Create, FileOptions.Asynchronous, bufferSize: 0));
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true });
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
        await _json.DisposeAsync();
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

    private void WriteLine(in OptionGreeksRow row)
    {
        var w = _json;
        w.Reset(_buffer);
        w.WriteStartObject();
        w.WriteNumber(F.TradeDate, F.ToNumber(row.TradeDate));
        w.WriteString(F.Root, row.Root);
        w.WriteNumber(F.Expiration, F.ToNumber(row.Expiration));
        w.WriteNumber(F.Strike, row.StrikeMilli);
        w.WriteString(F.Right, row.Right == 'C' ? "C" : row.Right == 'P' ? "P" : row.Right.ToString());
        w.WriteNumber(F.MsOfDay, row.MsOfDay);
        WriteDouble(w, F.Bid, row.Bid);
        WriteDouble(w, F.Ask, row.Ask);
        WriteDouble(w, F.Delta, row.Delta);
        WriteDouble(w, F.Theta, row.Theta);
        WriteDouble(w, F.Vega, row.Vega);
        WriteDouble(w, F.Rho, row.Rho);
        WriteDouble(w, F.Epsilon, row.Epsilon);
        WriteDouble(w, F.Lambda, row.Lambda);
        WriteDouble(w, F.ImpliedVol, row.ImpliedVol);
        WriteDouble(w, F.IvError, row.IvError);
        w.WriteNumber(F.MsOfDay2, row.MsOfDay2);
        WriteDouble(w, F.UnderlyingPrice, row.UnderlyingPrice);
        w.WriteEndObject();
        w.Flush();
        _buffer.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
    }

    private static void WriteDouble(Utf8JsonWriter w, JsonEncodedText name, double value)
    {
        // Utf8JsonWriter writes the shortest text that round-trips exactly; JSON has no NaN/Infinity literals.
        if (double.IsFinite(value))
        {
            w.WriteNumber(name, value);
        }
        else
        {
            w.WriteString(name, double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }
}
