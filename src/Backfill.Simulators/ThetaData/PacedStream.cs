namespace Backfill.Simulators.ThetaData;

/// <summary>
/// A response body paced at a bandwidth: each write first waits the time its bytes take at
/// <see cref="ThetaLatencyOptions.BytesPerSecond"/>. Waits shorter than <see cref="MinimumWait"/> are carried to the
/// next write, so small writes do not each pay a timer's granularity; at most that much of the total is never waited.
/// </summary>
internal sealed class PacedStream(Stream inner, ThetaLatencyOptions latency, Func<TimeSpan, CancellationToken, Task> delay) : Stream
{
    public static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(2);

    private long _owedTicks;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await PayAsync(buffer.Length, cancellationToken).ConfigureAwait(false);
        await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private Task PayAsync(int bytes, CancellationToken cancellationToken)
    {
        _owedTicks += latency.TransferTime(bytes).Ticks;
        if (_owedTicks < MinimumWait.Ticks)
        {
            return Task.CompletedTask;
        }

        var wait = TimeSpan.FromTicks(_owedTicks);
        _owedTicks = 0;
        return delay(wait, cancellationToken);
    }
}
