using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Backfill.Core.Errors;
using Backfill.Operations.Metrics;
using Backfill.Operations.Server;
using Backfill.Engine.Configuration;
using Backfill.Engine.Status;

namespace Backfill.Cli.Commands;

/// <summary><c>serve</c>: the status server (health, readiness, Prometheus metrics, JSON API and status page) over the ledger.</summary>
internal static class ServeCommand
{
    public const int DefaultPort = 8470;

    public static Command Build(CliEnvironment environment)
    {
        var port = new Option<int>("--port") { Description = "Port to listen on (0 = a free one).", DefaultValueFactory = _ => DefaultPort };
        var bind = new Option<string>("--bind") { Description = "Address to listen on (loopback unless --allow-remote).", DefaultValueFactory = _ => "127.0.0.1" };
        var allowRemote = new Option<bool>("--allow-remote") { Description = "Allow a --bind address other machines can reach." };
        var command = new Command("serve", "Serve /health, /ready, /metrics, the JSON API and the status page until Ctrl-C or SIGTERM.")
        {
            port, bind, allowRemote,
        };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var portNumber = parse.GetValue(port);
            if (portNumber is < 0 or > 65535)
            {
                throw new InvalidInputException($"--port: {portNumber} is not a port. Use 1-65535, or 0 for a free one.");
            }

            var address = ServerOptions.ParseBind(parse.GetValue(bind)!, parse.GetValue(allowRemote));
            await using var ledger = await context.OpenLedgerAsync(ct);
            var settings = await context.LoadSettingsAsync(ledger, ct);
            using var loggers = Operations.Create(context, settings);
            var options = new ServerOptions(address, portNumber, parse.GetValue(allowRemote), settings.RetryLimit, settings.StartDate,
                OperationsSettings.Metrics(settings) with { Prometheus = false, PushGateway = false });
            var api = new StatusApi(ledger, environment.Datasets, settings, environment.Time);
            var gauges = new Engine.Alerts.LedgerGauges(ledger, environment.Datasets, settings, environment.Time);
            var app = StatusServer.Create(options, ledger, api, loggers, environment.Time, gauges);
            await using (app)
            {
                Uri url;
                try
                {
                    url = await StatusServer.StartAsync(app, ct);
                }
                catch (Exception e) when (e is IOException or SocketException)
                {
                    throw new EnvironmentProblemException(CannotListen(new IPEndPoint(address, portNumber), e), e);
                }

                await context.Error.WriteLineAsync($"Serving {ledger.Description} on {url} (status page {url}, metrics {url}metrics). Ctrl-C stops.");
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                }

                await app.StopAsync(CancellationToken.None);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    // Kestrel wraps a taken port in an IOException that repeats the address; other bind failures (an address this
    // machine does not have) come as a bare SocketException. Either way one line says what failed and what to change.
    private static string CannotListen(IPEndPoint endpoint, Exception e) =>
        e.GetBaseException() is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }
            ? $"Cannot listen on {endpoint}: the port is already in use. Choose another --port (0 picks a free one)."
            : $"Cannot listen on {endpoint}: {e.GetBaseException().Message.TrimEnd('.')}. Choose another --bind or --port (0 picks a free one).";
}
