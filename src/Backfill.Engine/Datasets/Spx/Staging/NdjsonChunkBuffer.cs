using System.Buffers;
using Backfill.Core.Errors;

namespace Backfill.Engine.Datasets.Spx.Staging;

/// <summary>
/// A pooled read buffer that hands out complete lines; the file is never held in memory whole.
/// A file must end with a newline: a last line without one is a truncated write.
/// </summary>
internal sealed class NdjsonChunkBuffer : IDisposable
{
    private const int InitialSize = 1 << 20;
    private const int MaxLineBytes = 1 << 24;

    private readonly string _path;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialSize);
    private int _start;
    private int _end;

    public NdjsonChunkBuffer(string path) => _path = path;

    public long LineNumber { get; private set; }

    /// <summary>Bytes handed out by <see cref="TryTakeLine"/> so far, newlines included.</summary>
    public long Consumed { get; private set; }

    /// <summary>The free tail the next read should fill (compacts and grows first when needed).</summary>
    public Memory<byte> FreeSpace()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= MaxLineBytes)
            {
                throw GreeksLineParser.Corrupt(_path, LineNumber + 1, "line longer than " + MaxLineBytes + " bytes");
            }

            var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            Buffer.BlockCopy(_buffer, 0, bigger, 0, _end);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }

        return _buffer.AsMemory(_end);
    }

    /// <summary>Records how many bytes the last read put into <see cref="FreeSpace"/>; 0 means end of file.</summary>
    public void Filled(int count)
    {
        if (count == 0 && _end > _start)
        {
            throw GreeksLineParser.Corrupt(_path, LineNumber + 1, "truncated last line (no newline at end of file)");
        }

        _end += count;
    }

    /// <summary>Next complete line (without its newline), or false when the buffered bytes hold no complete line.</summary>
    public bool TryTakeLine(out ReadOnlySpan<byte> line)
    {
        var available = _buffer.AsSpan(_start, _end - _start);
        var newline = available.IndexOf((byte)'\n');
        if (newline < 0)
        {
            line = default;
            return false;
        }

        line = available[..newline];
        _start += newline + 1;
        Consumed += newline + 1;
        LineNumber++;
        return true;
    }

    /// <summary>Complete lines currently buffered (not taken).</summary>
    public int CountCompleteLines() => _buffer.AsSpan(_start, _end - _start).Count((byte)'\n');

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
