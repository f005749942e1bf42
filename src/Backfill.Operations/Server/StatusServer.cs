using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
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
using Microsoft.Extensions.Logging.Abstractions;
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
            : IPAddress.TryParse(trimmed, out var parsed) ? Unmapped(parsed)
            : throw new InvalidInputException($"--bind: '{Core.Time.DateInput.Printable(text)}' is not an IP address. Use 127.0.0.1 (the default), ::1, or with --allow-remote 0.0.0.0.");
        if (!IPAddress.IsLoopback(address) && !allowRemote)
        {
            throw new InvalidInputException(
                $"--bind: {address} is not a loopback address, so the status page and the ledger's contents would be reachable from other machines. " +
                "Add --allow-remote if that is intended (put it behind a firewall or a TLS proxy), or bind 127.0.0.1.");
        }

        return address;
    }

    // An IPv6 socket cannot bind an IPv4-mapped address (::ffff:127.0.0.1), and the address means its IPv4 one anyway.
    private static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}

/// <summary>The status server: health, readiness, Prometheus metrics, the JSON API over the ledger and the status page.</summary>
public static partial class StatusServer
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>This build's version, as <c>/health</c> reports it.</summary>
    public static string Version { get; } =
        typeof(StatusServer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(StatusServer).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>Builds the application (not started).</summary>
    /// <param name="gauges">Gauges read at scrape time and added to <c>/metrics</c> (the ledger's, per dataset); null: none.</param>
    public static WebApplication Create(
        ServerOptions options, ILedger ledger, IStatusSource api, ILoggerFactory? loggers = null, TimeProvider? time = null, IGaugeSource? gauges = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(ledger);
        var clock = time ?? TimeProvider.System;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (loggers is not null)
        {
            builder.Services.AddSingleton<ILoggerFactory>(new WithoutHostStartFailure(loggers));
        }

        builder.WebHost.ConfigureKestrel(k => k.Listen(options.Bind, options.Port));
        var metrics = MetricsPipeline.Configure(OpenTelemetry.Sdk.CreateMeterProviderBuilder(), options.Metrics, clock)
            .AddView(ScrapedGaugeNames.DropShadowed(gauges is not null)).AddPrometheusExporter().Build();
        builder.Services.AddSingleton(_ => metrics);
        var app = builder.Build();
        var page = ReadPage("index.html");
        var policy = ContentSecurityPolicy(page);
        var ownHosts = OwnHosts(options.Bind);
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = policy;
            headers.XFrameOptions = "DENY";
            headers.XContentTypeOptions = "nosniff";

            // A page on another site that points its own name at 127.0.0.1 (DNS rebinding) reaches this port with that name
            // as Host; answering only this machine's names keeps such a page from reading the ledger through the API.
            if (!options.AllowRemote && !IsOwnHost(context, ownHosts))
            {
                context.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync(
                    "This status server answers only requests addressed to localhost, 127.0.0.1 or [::1] on its own port; " +
                    "start it with --allow-remote to answer other names.", context.RequestAborted);
                return;
            }

            await next(context);
        });

        var started = clock.GetUtcNow();
        app.MapGet("/health", () => Results.Json(new
        {
            status = "ok",
            version = Version,
            startedAt = started,
            uptimeSeconds = Math.Max(0, (long)(clock.GetUtcNow() - started).TotalSeconds),
        }, Json));
        app.MapGet("/ready", async (CancellationToken ct) =>
        {
            var readiness = await api.ReadinessAsync(ct);
            return Results.Json(new
            {
                status = readiness.Ready ? "ready" : "not-ready",
                reason = readiness.Ready ? null : string.Join("; ", readiness.Checks.Where(c => !c.Ready).Select(c => c.Detail)),
                checks = readiness.Checks.ToDictionary(c => c.Name, c => new Dictionary<string, object?>(c.Facts) { ["ready"] = c.Ready, ["detail"] = c.Detail }),
            }, Json, statusCode: readiness.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        if (gauges is not null)
        {
            var scraped = new ScrapedGauges(gauges, clock);
            app.UseWhen(c => c.Request.Path == "/metrics", b => b.Use(scraped.AppendAsync));
        }

        app.MapPrometheusScrapingEndpoint("/metrics", metrics, null, null);
        app.MapGet("/api/status", (string? dataset, CancellationToken ct) => Answer(async () => await api.StatusAsync(dataset, ct)));
        app.MapGet("/api/history", (string? dataset, int? limit, CancellationToken ct) =>
            Answer(async () => await api.HistoryAsync(dataset, Math.Clamp(limit ?? 200, 1, 5000), ct)));
        app.MapGet("/api/gaps", (string? dataset, string? from, string? to, CancellationToken ct) =>
            Answer(async () => await api.GapsAsync(dataset, from, to, ct)));
        app.MapGet("/api/year", (string? dataset, int? year, CancellationToken ct) =>
            Answer(async () => await api.YearAsync(dataset, year, ct)));
        app.MapGet("/api/throughput", (string? dataset, int? limit, CancellationToken ct) =>
            Answer(async () => await api.ThroughputAsync(dataset, Math.Clamp(limit ?? 500, 1, 10000), ct)));
        app.MapGet("/", () => Results.Text(page, "text/html; charset=utf-8"));
        app.MapGet("/index.html", () => Results.Text(page, "text/html; charset=utf-8"));
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

    private static string ReadPage(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Backfill.Operations.Page." + name)
            ?? throw new InvalidOperationException($"The embedded page {name} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>
    /// Same-origin only. The page's one inline script and its one style sheet are allowed by their hashes, so no
    /// injected script or style runs; the page has no style attributes (it colours through classes and SVG fills).
    /// </summary>
    private static string ContentSecurityPolicy(string page)
    {
        var scripts = InlineScript().Matches(page).Select(m => ScriptHash(m.Groups[1].Value)).ToList();
        var styles = InlineStyle().Matches(page).Select(m => ScriptHash(m.Groups[1].Value)).ToList();
        return "default-src 'self'; " +
            $"script-src {(scripts.Count == 0 ? "'none'" : string.Join(' ', scripts))}; " +
            $"style-src {(styles.Count == 0 ? "'none'" : string.Join(' ', styles))}; " +
            "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }

    // A browser hashes a script as parsed, after every CR LF and lone CR has become LF, so a CR LF checkout still matches.
    private static string ScriptHash(string script)
    {
        var parsed = script.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        return $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(parsed)))}'";
    }

    private static HashSet<string> OwnHosts(IPAddress bind) => new(StringComparer.OrdinalIgnoreCase)
    {
        "localhost", "127.0.0.1", "[::1]", bind.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{bind}]" : bind.ToString(),
    };

    // The name is what a rebinding page cannot make this machine's; a port, when the Host has one, must be the one the request came in on.
    private static bool IsOwnHost(HttpContext context, HashSet<string> ownHosts) =>
        ownHosts.Contains(context.Request.Host.Host)
        && (context.Request.Host.Port is not { } port || port == context.Connection.LocalPort);

    [GeneratedRegex(@"<script\b[^>]*>(.*?)</script>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex(@"<style\b[^>]*>(.*?)</style>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex InlineStyle();

    /// <summary>
    /// The caller's loggers without the host's "Hosting failed to start" record: that failure (a port in use, an address
    /// this machine does not have) is thrown to the caller, which says it in one line; logged too, it printed a stack trace first.
    /// </summary>
    private sealed class WithoutHostStartFailure(ILoggerFactory loggers) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) =>
            categoryName == "Microsoft.Extensions.Hosting.Internal.Host" ? NullLogger.Instance : loggers.CreateLogger(categoryName);

        public void AddProvider(ILoggerProvider provider) => loggers.AddProvider(provider);

        // The caller owns the loggers and disposes them after the server has stopped.
        public void Dispose()
        {
        }
    }
}
