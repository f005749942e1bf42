using Backfill.Sources.CryptoLake.Lake;

namespace Backfill.Sources.CryptoLake.Book;

/// <summary>
/// Groups <c>book_delta_v2</c> rows into venue messages: consecutive rows sharing one <c>sequence_number</c> are one
/// message (cryptofeed writes Binance's <c>u</c> on every row of a depth message). The yielded memory is reused for
/// the next message: consume it before moving on.
/// </summary>
public static class MessageGrouper
{
    public static IEnumerable<ReadOnlyMemory<LakeDelta>> Group(IEnumerable<LakeDelta> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var buffer = new LakeDelta[64];
        var count = 0;
        foreach (var row in rows)
        {
            if (count > 0 && row.SequenceNumber != buffer[0].SequenceNumber)
            {
                yield return buffer.AsMemory(0, count);
                count = 0;
            }

            if (count == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }

            buffer[count++] = row;
        }

        if (count > 0)
        {
            yield return buffer.AsMemory(0, count);
        }
    }
}
