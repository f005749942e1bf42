using Backfill.Core.Errors;
using Backfill.Encryption;
using Backfill.Engine.Datasets.CryptoBook;
using Backfill.Engine.Datasets.Fop;
using Backfill.Engine.Datasets.Ohlcv;
using Backfill.Engine.Datasets.Spx;
using Backfill.Engine.Processing;
using Backfill.Simulators.AlphaVantage;
using Backfill.Simulators.CryptoLake;
using Backfill.Simulators.Databento;
using Backfill.Simulators.ThetaData;
using Backfill.Sources.AlphaVantage;
using Backfill.Sources.CryptoLake.Lake;
using Backfill.Sources.Databento.Http;
using Backfill.Sources.ThetaData;

namespace Backfill.Engine.Tests.Lifecycle;

/// <summary>
/// One of the four shipped datasets against its simulator, with its real producer and vendor client, whose requests go
/// through <see cref="SlowStart"/>: the first request waits, so a date takes as long as a test needs.
/// </summary>
internal sealed class DatasetRig : IAsyncDisposable
{
    private readonly IAsyncDisposable _simulator;
    private readonly Func<ProcessingOptions, HttpMessageHandler, IUnitProducer> _producer;

    private DatasetRig(string dataset, DateOnly day, IAsyncDisposable simulator, Func<ProcessingOptions, HttpMessageHandler, IUnitProducer> producer)
    {
        Dataset = dataset;
        Day = day;
        _simulator = simulator;
        _producer = producer;
    }

    public string Dataset { get; }

    public DateOnly Day { get; }

    public static RetryPolicyTable FastRetry { get; } = RetryPolicyTable.Default.WithDelayScale(0.001);

    public static async Task<DatasetRig> StartAsync(string dataset, string folder, CancellationToken ct)
    {
        switch (dataset)
        {
            case SpxDataset.DatasetName:
            {
                var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, 0, ct);
                return new DatasetRig(dataset, new DateOnly(2024, 6, 12), sim, (options, handler) => new SpxDayProducer(
                    ThetaDataClientFactory.Create(new ThetaDataClientOptions
                    {
                        BaseAddress = sim.BaseAddress, MaxConcurrentRequests = 2, RequestTimeout = TimeSpan.FromSeconds(30), Retry = FastRetry,
                    }, null, handler),
                    new SpxOptions { MaxConcurrentSubUnits = 2 }, options, ownsSource: true));
            }

            case FopDataset.DatasetName:
            {
                var sim = await DatabentoSimulator.StartAsync(new DatabentoSimulatorOptions(), 0, ct);
                return new DatasetRig(dataset, new DateOnly(2025, 1, 3), sim, (options, handler) => new FopDayProducer(
                    new FopMarketData(new DatabentoHistoricalClient(new DatabentoClientOptions
                    {
                        BaseAddress = sim.BaseAddress, ApiKey = new DatabentoApiKey("db-test-key-000000000000000000"), Retry = FastRetry,
                        RequestTimeout = TimeSpan.FromSeconds(30),
                    }, handler)),
                    new FopStrategy(), options, ownsClient: true));
            }

            case OhlcvDataset.DatasetName:
            {
                var sim = await AlphaVantageSimulator.StartAsync(new AlphaVantageSimulatorOptions(), 0, ct);
                var keys = KeyStore.Init(Path.Combine(folder, "keys", "k.json"), DateTimeOffset.UnixEpoch);
                return new DatasetRig(dataset, new DateOnly(2025, 6, 27), sim, (options, handler) => new OhlcvDayProducer(
                    new AlphaVantageClient(new AlphaVantageClientOptions
                    {
                        BaseAddress = sim.BaseAddress, ApiKey = new AlphaVantageApiKey("av-lease-test-key"), MinInterval = TimeSpan.Zero,
                        RequestBudget = 25, Retry = FastRetry, RequestTimeout = TimeSpan.FromSeconds(30),
                    }, handler),
                    [TickerSymbol.Parse("AAPL"), TickerSymbol.Parse("MSFT")], adjusted: false, keys, Core.Calendars.NyseCalendar.Instance, ownsClient: true));
            }

            case CryptoBookDataset.DatasetName:
            {
                var sim = await CryptoLakeSimulator.StartAsync(new CryptoLakeDayOptions { MessagesPerSecond = 0.2 }, cancellationToken: ct);
                return new DatasetRig(dataset, new DateOnly(2024, 8, 8), sim, (options, handler) => new CryptoBookDayProducer(
                    LakeStore.Open(sim.BaseAddress.ToString(), handler, TimeSpan.FromSeconds(30), FastRetry),
                    new CryptoBookOptions(sim.BaseAddress.ToString(), "BINANCE", "BTC-USDT", CryptoLakeMarket.Tick, CryptoLakeMarket.Lot, 60, 20),
                    options, ownsStore: true));
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(dataset), dataset, null);
        }
    }

    /// <summary>A producer whose first request waits <paramref name="firstRequestDelay"/> (then <paramref name="onFirstRequest"/> runs).</summary>
    public IUnitProducer Producer(ProcessingOptions options, TimeSpan firstRequestDelay, Action? onFirstRequest = null) =>
        _producer(options, new SlowStart(firstRequestDelay, onFirstRequest));

    public ValueTask DisposeAsync() => _simulator.DisposeAsync();

    /// <summary>Holds the first request of a client back, as a slow vendor or a long download would.</summary>
    private sealed class SlowStart(TimeSpan delay, Action? onFirst) : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _requests;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _requests) == 1)
            {
                await Task.Delay(delay, cancellationToken);
                onFirst?.Invoke();
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}
