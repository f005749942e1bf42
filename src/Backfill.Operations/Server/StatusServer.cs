using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Backfill.Core.Errors;
using Backfill.Ledger;
using Backfill.Operations.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace Backfill.Operations.Server;

/// <summary>What <c>backfill serve</c> listens on and reads.</summary>
/// <param name="Bind">The address to listen on; loopback unless <paramref name="AllowRemote"/>.</param>
/// <param name="Port">0 = a free port.</param>
public sealed record ServerOptions(IPAddress Bind, int Port, bool AllowRemote, int RetryLimit, DateOnly? StartDate, MetricsOptions Metrics)
{
    /// <summary>Reads <c>--bind</c>: an IP address; a non-loopback one only with <c>--allow-remote</c>.</summary>
    public static IPAddress ParseBind(string text, bool allowRemote)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        var address = trimmed.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
            : IPAddress.TryParse(trimmed, out var parsed) ? parsed
            : throw new InvalidInputException($"--bind: '{Core.Time.DateInput.Printable(text)}' is not an IP address. Use 127.0.0.1 (the default), ::1, or with --allow-remote 0.0.0.0.");
        if (!IPAddress.IsLoopback(address) && !allowRemote)
        {
            throw new InvalidInputException(
                $"--bind: {address} is not a loopback address, so the status page and the ledger's contents would be reachable from other machines. " +
                "Add --allow-remote if that is intended (put it behind a firewall or a TLS proxy), or bind 127.0.0.1.");
        }

        return address;
    }
}

/// <summary>The status server: health, readiness, Prometheus metrics, the JSON API over the ledger and the status page.</summary>
public static class StatusServer
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Builds the application (not started).</summary>
    public static WebApplication Create(ServerOptions options, ILedger ledger, IStatusSource api, ILoggerFactory? loggers = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(ledger);
        var clock = time ?? TimeProvider.System;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (loggers is not null)
        {
            builder.Services.AddSingleton(loggers);
        }

        builder.WebHost.ConfigureKestrel(k => k.Listen(options.Bind, options.Port));
        var metrics = MetricsPipeline.Configure(OpenTelemetry.Sdk.CreateMeterProviderBuilder(), options.Metrics, clock).AddPrometheusExporter().Build();
        builder.Services.AddSingleton(_ => metrics);
        var app = builder.Build();

        app.MapGet("/health", () => Results.Json(new { status = "ok" }, Json));
        app.MapGet("/ready", async (CancellationToken ct) =>
        {
            try
            {
                var version = await ledger.GetSchemaVersionAsync(ct);
                var expected = LedgerFactory.LatestSchemaVersion(ledger);
                return version == expected
                    ? Results.Json(new { status = "ready", ledger = ledger.Description, schemaVersion = version }, Json)
                    : Results.Json(new { status = "not-ready", ledger = ledger.Description, schemaVersion = version, expected,
                        reason = $"the ledger's schema is version {version}, this build expects {expected}: run any backfill command to migrate it" }, Json, statusCode: 503);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return Results.Json(new { status = "not-ready", ledger = ledger.Description, reason = "the ledger is unreachable: " + Ledger.Postgres.PostgresUrl.MaskPasswords(e.Message) }, Json, statusCode: 503);
            }
        });
        app.MapPrometheusScrapingEndpoint("/metrics", metrics, null, null);
        app.MapGet("/api/status", (string? dataset, CancellationToken ct) => Answer(async () => await api.StatusAsync(dataset, ct)));
        app.MapGet("/api/history", (string? dataset, int? limit, CancellationToken ct) =>
            Answer(async () => await api.HistoryAsync(dataset, Math.Clamp(limit ?? 200, 1, 5000), ct)));
        app.MapGet("/api/gaps", (string? dataset, string? from, string? to, CancellationToken ct) =>
            Answer(async () => await api.GapsAsync(dataset, from, to, ct)));
        app.MapGet("/api/throughput", (string? dataset, int? limit, CancellationToken ct) =>
            Answer(async () => await api.ThroughputAsync(dataset, Math.Clamp(limit ?? 500, 1, 10000), ct)));
        app.MapGet("/", () => Page("index.html", "text/html; charset=utf-8"));
        app.MapGet("/index.html", () => Page("index.html", "text/html; charset=utf-8"));
        return app;
    }

    /// <summary>Starts <paramref name="app"/> and returns the address it is bound to (the real port when 0 was asked).</summary>
    public static async Task<Uri> StartAsync(WebApplication app, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new UriBuilder(address) { Host = address.Host is "0.0.0.0" or "[::]" ? "127.0.0.1" : address.Host }.Uri;
    }

    private static async Task<IResult> Answer(Func<Task<object>> read)
    {
        try
        {
            return Results.Json(await read(), Json);
        }
        catch (InvalidInputException e)
        {
            return Results.Json(new { error = e.Message }, Json, statusCode: 400);
        }
    }

    private static IResult Page(string name, string contentType)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Backfill.Operations.Page." + name)
            ?? throw new InvalidOperationException($"The embedded page {name} is missing from the build.");
        using var reader = new StreamReader(stream);
        return Results.Text(reader.ReadToEnd(), contentType);
    }
}
