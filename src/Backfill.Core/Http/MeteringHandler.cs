using System.Net;

namespace Backfill.Core.Http;

/// <summary>
/// The first handler of every vendor client's <see cref="HttpClient"/>: counts each request, its status, the response
/// bytes read and the time until the body is read to its end (or dropped) in the current unit's <see cref="RequestTally"/>.
/// Outside a unit it only passes the request on.
/// </summary>
public sealed class MeteringHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    /// <summary>The handler a vendor client uses: <paramref name="handler"/> (tests) or a new one with decompression, metered.</summary>
    public static MeteringHandler Wrap(HttpMessageHandler? handler) =>
        new(handler ?? new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.All });

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (RequestTally.Current is not { } tally)
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var started = tally.Time.GetTimestamp();
        tally.Sent();
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            tally.Answered(null);
            tally.Took(tally.Time.GetElapsedTime(started));
            throw;
        }

        tally.Answered((int)response.StatusCode);
        response.Content = new CountingContent(response.Content, tally, started);
        return response;
    }

    /// <summary>The response body as the vendor sent it, counted as it is read.</summary>
    private sealed class CountingContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly RequestTally _tally;
        private readonly long _started;
        private int _ended;

        public CountingContent(HttpContent inner, RequestTally tally, long started)
        {
            _inner = inner;
            _tally = tally;
            _started = started;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            await SerializeToStreamAsync(stream, context, CancellationToken.None).ConfigureAwait(false);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await using var body = new CountingStream(await _inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), this);
            await body.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        protected override async Task<Stream> CreateContentReadStreamAsync() =>
            new CountingStream(await _inner.ReadAsStreamAsync().ConfigureAwait(false), this);

        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new CountingStream(await _inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), this);

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                End();
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }

        internal void Read(int bytes) => _tally.Read(bytes);

        internal void End()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                _tally.Took(_tally.Time.GetElapsedTime(_started));
            }
        }
    }

    private sealed class CountingStream(Stream inner, CountingContent owner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position
        {
            get => inner.Position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Counted(inner.Read(buffer));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Counted(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Counted(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken).ConfigureAwait(false));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                owner.End();
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private int Counted(int read)
        {
            if (read > 0)
            {
                owner.Read(read);
            }
            else
            {
                owner.End();
            }

            return read;
        }
    }
}
