using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Engine.Datasets.Spx.Staging;

namespace Backfill.Engine.Datasets.Spx.Parquet;

/// <summary>
/// The one definition of <c>backfill.content_sha256</c>: SHA-256 over the rows in written order, each row encoded as
/// (all integers and IEEE-754 doubles little-endian):
/// <code>
/// int32  trade_date (days since 1970-01-01)
/// uint8  root length, then root UTF-8 bytes
/// int32  expiration (days since 1970-01-01)
/// int64  strike in thousandths (the unscaled decimal(10,3))
/// uint8  right ('C' or 'P')
/// int32  ms_of_day
/// f64 x10 bid, ask, delta, theta, vega, rho, epsilon, lambda, implied_vol, iv_error (raw bits)
/// int32  ms_of_day2
/// f64    underlying_price
/// </code>
/// The writer feeds column batches, the verifier feeds rows read back; both must produce these bytes.
/// </summary>
internal sealed class ContentChecksum : IDisposable
{
    private const int MaxRowBytes = 4 + 1 + 255 + 4 + 8 + 1 + 4 + (10 * 8) + 4 + 8;
    private static readonly int EpochDay = new DateOnly(1970, 1, 1).DayNumber;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _buffer = new byte[1 << 16];
    private int _used;

    public static int ToEpochDays(DateOnly date) => date.DayNumber - EpochDay;

    public static DateOnly FromEpochDays(int days) => DateOnly.FromDayNumber(days + EpochDay);

    /// <summary>Appends rows [start, start+count) of a batch (whose root, expiration and date are shared).</summary>
    public void AppendBatch(GreeksColumnBatch batch, int start, int count)
    {
        var rootBytes = Encoding.UTF8.GetBytes(batch.Root);
        var tradeDate = ToEpochDays(batch.TradeDate);
        var expiration = ToEpochDays(batch.Expiration);
        var d = batch.Doubles;
        Span<double> values = stackalloc double[GreeksColumnBatch.DoubleColumns];
        for (var i = start; i < start + count; i++)
        {
            for (var c = 0; c < GreeksColumnBatch.DoubleColumns; c++)
            {
                values[c] = d[c][i];
            }

            AppendRow(tradeDate, rootBytes, expiration, batch.Strike[i], batch.Right[i], batch.MsOfDay[i], values, batch.MsOfDay2[i]);
        }
    }

    /// <summary>Appends one row as read back from a file.</summary>
    public void Append(in OptionGreeksRow row)
    {
        Span<double> values =
        [
            row.Bid, row.Ask, row.Delta, row.Theta, row.Vega, row.Rho, row.Epsilon, row.Lambda, row.ImpliedVol, row.IvError,
            row.UnderlyingPrice,
        ];
        if (row.Right > 127)
        {
            throw new ArgumentException("Right must be an ASCII letter.", nameof(row));
        }

        AppendRow(ToEpochDays(row.TradeDate), Encoding.UTF8.GetBytes(row.Root), ToEpochDays(row.Expiration), row.StrikeMilli, (byte)row.Right, row.MsOfDay, values, row.MsOfDay2);
    }

    /// <summary>Lower-case hex of the digest of everything appended.</summary>
    public string FinishHex()
    {
        Drain();
        return Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    public void Dispose() => _hash.Dispose();

    private void AppendRow(int tradeDate, ReadOnlySpan<byte> root, int expiration, long strike, byte right, int msOfDay, ReadOnlySpan<double> values, int msOfDay2)
    {
        if (root.Length > 255)
        {
            throw new ArgumentException("Root longer than 255 bytes.", nameof(root));
        }

        if (_buffer.Length - _used < MaxRowBytes)
        {
            Drain();
        }

        var s = _buffer.AsSpan(_used);
        BinaryPrimitives.WriteInt32LittleEndian(s, tradeDate);
        s[4] = (byte)root.Length;
        root.CopyTo(s[5..]);
        var p = 5 + root.Length;
        BinaryPrimitives.WriteInt32LittleEndian(s[p..], expiration);
        BinaryPrimitives.WriteInt64LittleEndian(s[(p + 4)..], strike);
        s[p + 12] = right;
        BinaryPrimitives.WriteInt32LittleEndian(s[(p + 13)..], msOfDay);
        p += 17;
        for (var c = 0; c < 10; c++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(s[p..], values[c]);
            p += 8;
        }

        BinaryPrimitives.WriteInt32LittleEndian(s[p..], msOfDay2);
        BinaryPrimitives.WriteDoubleLittleEndian(s[(p + 4)..], values[GreeksColumnBatch.UnderlyingPrice]);
        _used += p + 12;
    }

    private void Drain()
    {
        _hash.AppendData(_buffer, 0, _used);
        _used = 0;
    }
}

/// <summary>The content checksum of a published spx file, for verify --deep.</summary>
public static class SpxContentChecksum
{
    /// <summary>Re-reads every row of an spx Parquet file and returns the content checksum they hash to (verify --deep).</summary>
    public static string OfFile(string path)
    {
        using var checksum = new ContentChecksum();
        foreach (var row in SpxParquetReader.ReadRows(path))
        {
            checksum.Append(row);
        }

        return checksum.FinishHex();
    }
}
