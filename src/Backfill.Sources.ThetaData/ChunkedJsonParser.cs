using System.Buffers;
using System.Text.Json;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Core.Errors;
using Backfill.Core.Text;

namespace Backfill.Sources.ThetaData;

/// <summary>
/// Streams a JSON body through <see cref="Utf8JsonReader"/> over a pooled buffer refilled from the response
/// stream. Subclasses parse whole units (a header, a contract, a row); a unit cut by the buffer end is rolled
/// back to its start and parsed again once more bytes arrived. Memory stays at one buffer whatever the size.
/// </summary>
internal abstract class ChunkedJsonParser : IDisposable
{
    private const int InitialBuffer = 64 * 1024;
    private const int MaxBuffer = 16 * 1024 * 1024;
    private readonly Stream _stream;
    private readonly TimeSpan _readTimeout;
    private readonly OptionSourceStats _stats;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private bool _eof;
    private bool _sawContent;
    private JsonReaderState _state;

    protected ChunkedJsonParser(Stream stream, string what, TimeSpan readTimeout, OptionSourceStats stats)
    {
        _stream = stream;
        What = what;
        _readTimeout = readTimeout;
        _stats = stats;
        _buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        _state = new JsonReaderState(new JsonReaderOptions { AllowTrailingCommas = false });
    }

    /// <summary>The request, for messages.</summary>
    protected string What { get; }

    public long BytesRead { get; private set; }

    /// <summary>The document's closing token was read.</summary>
    protected abstract bool IsComplete { get; }

    /// <summary>
    /// Parses as many complete units as the reader holds, adding valid rows to <paramref name="rows"/>. On a unit
    /// that is not complete, set <paramref name="reader"/> back to the copy taken before the unit and return.
    /// </summary>
    protected abstract void ParseUnits(ref Utf8JsonReader reader, List<OptionGreeksRow> rows);

    /// <summary>
    /// Moves to the next value and checks that all of it is in the buffer: false when it is cut by the buffer end
    /// (the caller rolls back and waits for more bytes).
    /// </summary>
    protected static bool TryReadWholeValue(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            return false;
        }

        var probe = reader;
        return probe.TrySkip();
    }

    /// <summary>
    /// The current number token as a double: the exact fast path of <see cref="ExactDecimal.TryParse"/> for the short
    /// decimals vendors send (prices in cents, greeks to a few decimals), else <see cref="Utf8JsonReader.GetDouble"/>.
    /// The same bits either way; the fast path only skips the general parser's cost.
    /// </summary>
    protected static double GetDouble(ref Utf8JsonReader reader)
    {
        if (!reader.HasValueSequence)
        {
            var text = reader.ValueSpan;
            if (ExactDecimal.TryParse(text, out var value, out var consumed) && consumed == text.Length)
            {
                return value;
            }
        }

        return reader.GetDouble();
    }

    /// <summary>Throws a typed malformed-response error unless the reader is at a token of <paramref name="type"/>.</summary>
    protected void Expect(ref Utf8JsonReader reader, JsonTokenType type, string where)
    {
        if (reader.TokenType != type)
        {
            throw ThetaErrors.Malformed(What, $"expected {type} at {where}, got {reader.TokenType}");
        }
    }

    /// <summary>Reads until at least one row is parsed or the document ends. False when nothing is left.</summary>
    public async ValueTask<bool> ReadBatchAsync(List<OptionGreeksRow> rows, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_end > _start || _eof)
            {
                ParseBuffered(rows);
                if (rows.Count > 0)
                {
                    return true;
                }

                if (IsComplete)
                {
                    return false;
                }

                if (_eof)
                {
                    throw ThetaErrors.Truncated(What, BytesRead);
                }
            }

            await FillAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Called at the first bytes of the body: lets a subclass catch plain-text answers.</summary>
    protected virtual void OnFirstBytes(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length && bytes[i] is (byte)' ' or (byte)'\r' or (byte)'\n' or (byte)'\t')
        {
            i++;
        }

        if (i < bytes.Length && bytes[i] is not ((byte)'{' or (byte)'['))
        {
            var text = System.Text.Encoding.UTF8.GetString(bytes[i..Math.Min(bytes.Length, i + 200)]);
            if (text.Contains("no data", StringComparison.OrdinalIgnoreCase))
            {
                throw new NoDataException($"ThetaData has no data for {What}: {VendorText.Sanitize(text)}") { StatusCode = 200 };
            }

            throw ThetaErrors.Malformed(What, $"expected JSON, got '{text.Trim()}'");
        }
    }

    private void ParseBuffered(List<OptionGreeksRow> rows)
    {
        var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), _eof, _state);
        try
        {
            ParseUnits(ref reader, rows);
        }
        catch (JsonException e)
        {
            throw _eof && e.BytePositionInLine >= 0 && _end - _start - reader.BytesConsumed < 64
                ? ThetaErrors.Truncated(What, BytesRead)
                : ThetaErrors.Malformed(What, e.Message, e);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or OverflowException)
        {
            // A value of the wrong type, out of range for its field, or not valid UTF-8.
            throw ThetaErrors.Malformed(What, e.Message, e);
        }

        _start += (int)reader.BytesConsumed;
        _state = reader.CurrentState;
        if (IsComplete)
        {
            // Nothing but whitespace may follow the document.
            for (var i = _start; i < _end; i++)
            {
                if (_buffer[i] is not ((byte)' ' or (byte)'\r' or (byte)'\n' or (byte)'\t'))
                {
                    throw ThetaErrors.Malformed(What, "data after the end of the JSON document");
                }
            }

            _start = _end;
        }
    }

    private async ValueTask FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            // One unit is larger than the buffer: grow, within reason.
            if (_buffer.Length >= MaxBuffer)
            {
                throw ThetaErrors.Malformed(What, $"a single JSON element is larger than {MaxBuffer} bytes");
            }

            var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            Buffer.BlockCopy(_buffer, 0, bigger, 0, _end);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }

        int read;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_readTimeout);
        try
        {
            read = await _stream.ReadAsync(_buffer.AsMemory(_end), timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ConnectionFailedException($"The response to {What} stalled: no bytes for {_readTimeout.TotalSeconds:0.#} s after {BytesRead} bytes.", e);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or ObjectDisposedException)
        {
            throw ThetaErrors.BodyFailed(e, What, BytesRead);
        }

        if (read == 0)
        {
            _eof = true;
            if (!_sawContent)
            {
                throw ThetaErrors.Malformed(What, "the body is empty");
            }

            return;
        }

        if (!_sawContent)
        {
            _sawContent = true;
            OnFirstBytes(_buffer.AsSpan(_end, read));
        }

        _end += read;
        BytesRead += read;
        _stats.AddBytes(read);
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
