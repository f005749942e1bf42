using System.Collections.Concurrent;
using System.Globalization;
using System.Security;
using System.Text;
using Backfill.Sources.CryptoLake.Lake;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Backfill.Simulators.CryptoLake;

/// <summary>Seeded faults of the HTTP side.</summary>
public sealed record CryptoLakeFaultOptions
{
    public int Seed { get; init; } = 7;

    /// <summary>Probability that a file request gets one of <see cref="Kinds"/> (MissingFile, TruncatedBody, Slow).</summary>
    public double Probability { get; init; }

    public IReadOnlyList<CryptoLakeFaultKind> Kinds { get; init; } = [];

    public TimeSpan SlowDelay { get; init; } = TimeSpan.FromSeconds(2);
}

public sealed class CryptoLakeSimulatorStats
{
    private long _requests;
    private long _faults;

    public long Requests => Interlocked.Read(ref _requests);

    public long Faults => Interlocked.Read(ref _faults);

    internal void AddRequest() => Interlocked.Increment(ref _requests);

    internal void AddFault() => Interlocked.Increment(ref _faults);
}

/// <summary>
/// Crypto Lake's bucket on loopback: S3 ListObjectsV2 (<c>GET /?list-type=2&amp;prefix=…</c>) and object GETs under
/// <c>market-data/cryptofeed/{table}/exchange=X/symbol=Y/dt=YYYY-MM-DD/1.snappy.parquet</c> for the configured
/// exchange and symbol, any date from 2020 on. A day is generated on its first request into a scratch folder (the same
/// bytes every time for the same options), then served from disk.
/// </summary>
public sealed class CryptoLakeSimulator : IAsyncDisposable
{
    public const string KeyPrefix = "market-data/cryptofeed/";
    private readonly WebApplication _app;
    private readonly CryptoLakeDayOptions _day;
    private readonly CryptoLakeFaultOptions _faults;
    private readonly Random _random;
    private readonly string _root;
    private readonly ConcurrentDictionary<DateOnly, Lazy<CryptoLakeDay>> _days = new();

    private CryptoLakeSimulator(WebApplication app, CryptoLakeDayOptions day, CryptoLakeFaultOptions faults)
    {
        _app = app;
        _day = day;
        _faults = faults;
        _random = new Random(faults.Seed);
        _root = Directory.CreateTempSubdirectory("cryptolake-sim-").FullName;
        BaseAddress = new Uri("http://127.0.0.1/");
    }

    /// <summary>The base to give Backfill (<c>cryptolake.baseUrl</c>): the bucket root plus <see cref="KeyPrefix"/>.</summary>
    public Uri BaseAddress { get; private set; }

    public CryptoLakeSimulatorStats Stats { get; } = new();

    public static async Task<CryptoLakeSimulator> StartAsync(CryptoLakeDayOptions day, CryptoLakeFaultOptions? faults = null, int port = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(day);
        faults ??= new CryptoLakeFaultOptions();
        if (faults.Probability is < 0 or > 1 || (faults.Probability > 0 && faults.Kinds.Count == 0))
        {
            throw new ArgumentException("The fault probability must lie between 0 and 1, with fault kinds when above 0.", nameof(faults));
        }

        var app = LoopbackHost.Create(port);
        var simulator = new CryptoLakeSimulator(app, day, faults);
        app.MapGet("/", simulator.ListAsync);
        app.MapGet("/{**key}", simulator.GetObjectAsync);
        var root = await LoopbackHost.StartAsync(app, cancellationToken).ConfigureAwait(false);
        simulator.BaseAddress = new Uri(root, KeyPrefix);
        return simulator;
    }

    /// <summary>The day generated (or generated now) for <paramref name="date"/>.</summary>
    public CryptoLakeDay Day(DateOnly date) =>
        _days.GetOrAdd(date, d => new Lazy<CryptoLakeDay>(() => CryptoLakeMarket.WriteDay(_root, d, _day))).Value;

    public async ValueTask DisposeAsync()
    {
        await LoopbackHost.StopAsync(_app).ConfigureAwait(false);
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task ListAsync(HttpContext context)
    {
        Stats.AddRequest();
        var prefix = context.Request.Query["prefix"].ToString();
        if (context.Request.Query["list-type"] != "2")
        {
            context.Response.StatusCode = 400;
            return;
        }

        var keys = new List<(string Key, long Size)>();
        if (TryParse(prefix, out var table, out var date, exact: false))
        {
            Day(date);
            var key = $"{KeyPrefix}{LakePartition.Create(table, _day.Exchange, _day.Symbol, date).RelativePrefix}1.snappy.parquet";
            keys.Add((key, new FileInfo(Local(key)).Length));
        }

        var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
        xml.Append("<Name>sim.crypto.lake</Name><Prefix>").Append(SecurityElement.Escape(prefix)).Append("</Prefix>")
            .Append(CultureInfo.InvariantCulture, $"<KeyCount>{keys.Count}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>");
        foreach (var (key, size) in keys)
        {
            xml.Append("<Contents><Key>").Append(SecurityElement.Escape(key)).Append(CultureInfo.InvariantCulture, $"</Key><Size>{size}</Size><StorageClass>STANDARD</StorageClass></Contents>");
        }

        xml.Append("</ListBucketResult>");
        context.Response.ContentType = "application/xml";
        await context.Response.WriteAsync(xml.ToString(), context.RequestAborted).ConfigureAwait(false);
    }

    private async Task GetObjectAsync(HttpContext context, string key)
    {
        Stats.AddRequest();
        if (!TryParse(key, out _, out var date, exact: true))
        {
            context.Response.StatusCode = 404;
            return;
        }

        Day(date);
        CryptoLakeFaultKind? fault = null;
        lock (_random)
        {
            if (_faults.Probability > 0 && _random.NextDouble() < _faults.Probability)
            {
                fault = _faults.Kinds[_random.Next(_faults.Kinds.Count)];
            }
        }

        if (fault is CryptoLakeFaultKind.MissingFile)
        {
            Stats.AddFault();
            context.Response.StatusCode = 404;
            return;
        }

        if (fault is CryptoLakeFaultKind.Slow)
        {
            Stats.AddFault();
            await Task.Delay(_faults.SlowDelay, context.RequestAborted).ConfigureAwait(false);
        }

        var path = Local(key);
        var length = new FileInfo(path).Length;
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = length;
        await using var file = File.OpenRead(path);
        if (fault is CryptoLakeFaultKind.TruncatedBody)
        {
            Stats.AddFault();
            var buffer = new byte[length / 2];
            await file.ReadExactlyAsync(buffer, context.RequestAborted).ConfigureAwait(false);
            await context.Response.Body.WriteAsync(buffer, context.RequestAborted).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            context.Abort();
            return;
        }

        await file.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
    }

    private string Local(string key) => Path.Combine(_root, key[KeyPrefix.Length..].Replace("/1.snappy.parquet", string.Empty, StringComparison.Ordinal).Replace('/', Path.DirectorySeparatorChar), "1.snappy.parquet");

    /// <summary>Reads table and date from a key or prefix of the configured exchange and symbol.</summary>
    private bool TryParse(string keyOrPrefix, out LakeTable table, out DateOnly date, bool exact)
    {
        table = default;
        date = default;
        foreach (var candidate in Enum.GetValues<LakeTable>())
        {
            var head = $"{KeyPrefix}{LakePartition.TableName(candidate)}/exchange={_day.Exchange}/symbol={_day.Symbol}/dt=";
            if (!keyOrPrefix.StartsWith(head, StringComparison.Ordinal) || keyOrPrefix.Length < head.Length + 10
                || !DateOnly.TryParseExact(keyOrPrefix.AsSpan(head.Length, 10), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
                || parsed.Year < 2020 || parsed > DateOnly.FromDateTime(DateTime.UtcNow))
            {
                continue;
            }

            var rest = keyOrPrefix[(head.Length + 10)..];
            if (exact ? rest != "/1.snappy.parquet" : rest is not ("" or "/"))
            {
                continue;
            }

            table = candidate;
            date = parsed;
            return true;
        }

        return false;
    }
}
