using System.Globalization;
using System.Net;
using System.Text;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Cli;
using Backfill.Core.Errors;
using Backfill.Simulators.ThetaData;
using Backfill.Sources.ThetaData;

namespace Backfill.Reliability.Tests;

/// <summary>
/// Seeded fuzzing of what comes from outside: command lines and configuration values (dates, reversed and huge
/// ranges, unicode, control characters, paths with <c>..</c>, empty strings, URLs with credentials) through the real
/// command tree, and response bodies through the ThetaData client's streaming JSON parsers (truncations, flipped
/// bytes, inserted tokens, odd numbers and strings, deep nesting, hostile <c>next_page</c> URLs, odd statuses).
/// Every input must end in a clear message and exit code 2 (3 for the environment), or a typed error; never an
/// unhandled exception, a stack trace, a raw control character, or the secret planted in the input.
/// Knobs: <c>BACKFILL_RELIABILITY_FUZZ_CLI</c>, <c>BACKFILL_RELIABILITY_FUZZ_JSON</c>, <c>BACKFILL_RELIABILITY_SEED</c>.
/// </summary>
public sealed class FuzzTests
{
    private const string Secret = "s3cr3t-T0KEN-4711";

    /// <summary>What the command tree prints when an exception was not expected (its generic handler).</summary>
    private const string GenericFailure = "Run again with --verbose for details.";

    private static readonly string[] BadDates =
    [
        "", " ", "2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10", "24-06-10", "2024/06/10", "2024-6-1x", "20240610x",
        "2024-06-10T00:00", "-1", "99999999", "NaN", "null", "yesterday!", "１９９９-０１-０４", "2024-06-10\u202e", "2024-06-1\u0000",
        "\u001b[31m2024-06-10", "../../etc/passwd", "2024-06-10; rm -rf /", new string('9', 5000), "0000-00-00", "+2024-06-10",
        "ᚠᛇᚻ", "😀", "2147483648-01-01", "-0001-01-01",
    ];

    private static readonly string[] GoodDates =
    [
        "2024-06-10", "2024-06-11", "2024-06-12", "2024-06-15", "2024-07-04", "2024-12-31", "2025-01-02", "2024-05-31", "1990-01-02",
        "1885-01-01", "9999-12-31", "0001-01-01", "2024-02-29", "2024-06-03",
    ];

    private static readonly string[] Spans = ["30d", "0d", "-5d", "8w", "6m", "2y", "99999y", "", "abc", "1e9d", "٣d", "30 d", "30D"];

    private static readonly string[] Numbers = ["0", "1", "-1", "2", "64", "2147483647", "2147483648", "-2147483649", "1e3", "0x10", "", " 1", "١", "NaN", "3.5"];

    private static readonly string[] Keys =
    [
        "thetadata.baseUrl", "thetadata.apiVersion", "thetadata.maxConcurrentRequests", "thetadata.requestTimeoutSeconds", "processing.startDate",
        "processing.outputDirectory", "processing.tempDirectory", "processing.maxConcurrentDates", "processing.intervalMs", "processing.maxDte",
        "processing.retryLimit", "database.path", "THETADATA.BASEURL", "thetadata.baseurl ", "thetadata.apikey", "", " ", "=", "processing.",
        "processing.startDate.x", "ü.key", "\u0007bell", new string('k', 300),
    ];

    [Fact]
    public async Task Fuzzed_command_lines_and_config_values_end_in_a_clear_message_and_a_documented_exit_code()
    {
        var inputs = Harness.Knob("BACKFILL_RELIABILITY_FUZZ_CLI", 500);
        var seed = Harness.Knob("BACKFILL_RELIABILITY_SEED", 20240610);
        var random = new Random(seed);
        await using var gone = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.01, V2Gone = true }, 0, Harness.Ct);
        using var f = Harness.NewFolder("rel-fuzz-cli-");
        var codes = new SortedDictionary<int, int>();
        var expectedBad = 0;
        var failures = new List<string>();
        for (var i = 0; i < inputs && failures.Count < 10; i++)
        {
            var (args, env, mustBeBad) = CommandLine(random, f, Harness.Url(gone));
            (int Code, string Out, string Error) r;
            try
            {
                r = await Harness.CliAsync(env, args);
            }
            catch (Exception e)
            {
                failures.Add($"#{i} {Show(args)}: escaped {e.GetType().Name}: {e.Message}");
                continue;
            }

            codes[r.Code] = codes.GetValueOrDefault(r.Code) + 1;
            expectedBad += mustBeBad ? 1 : 0;
            var problem = Judge(args, r, mustBeBad);
            if (problem is not null)
            {
                failures.Add($"#{i} {Show(args)} -> exit {r.Code}: {problem}\n  out: {Cut(r.Out)}\n  err: {Cut(r.Error)}");
            }
        }

        Assert.True(failures.Count == 0, $"seed {seed}:\n" + string.Join("\n", failures));
        Assert.True(codes.GetValueOrDefault(ExitCodes.BadInput) > inputs / 4, $"too few inputs were refused, the generator is off: {string.Join(", ", codes)}");
        Report.Add("fuzz.cli.inputs", inputs);
        Report.Add("fuzz.cli.known-bad-inputs", expectedBad);
        foreach (var (code, n) in codes)
        {
            Report.Add($"fuzz.cli.exit-{code}", n);
        }
    }

    [Fact]
    public async Task Fuzzed_config_set_values_are_stored_only_when_valid_and_never_echo_a_secret()
    {
        var inputs = Harness.Knob("BACKFILL_RELIABILITY_FUZZ_CLI", 500) / 2;
        var seed = Harness.Knob("BACKFILL_RELIABILITY_SEED", 20240610);
        var random = new Random(seed + 1);
        using var f = Harness.NewFolder("rel-fuzz-config-");
        var failures = new List<string>();
        var stored = 0;
        for (var i = 0; i < inputs && failures.Count < 10; i++)
        {
            var key = Pick(random, Keys);
            var value = Value(random, f);
            string[] args = ["config", "set", key, value, "--db", f.Db];
            var r = await Harness.CliAsync(null, args);
            var problem = Judge(args, r, mustBeBad: false);
            if (r.Code is not (ExitCodes.Ok or ExitCodes.BadInput))
            {
                problem ??= "config set must exit 0 or 2";
            }

            if (r.Code == ExitCodes.Ok)
            {
                stored++;

                // Whatever was stored must still be accepted when read back and validated.
                var get = await Harness.CliAsync(null, "config", "get", key, "--db", f.Db);
                problem ??= get.Code == 0 ? Judge(["config", "get", key], get, false) : $"stored, but 'config get' exits {get.Code}: {get.Error}";
                var validate = await Harness.CliAsync(null, "config", "validate", "--db", f.Db);
                if (validate.Code is not (ExitCodes.Ok or ExitCodes.BadInput) || validate.Out.Contains(Secret, StringComparison.Ordinal) || validate.Error.Contains(GenericFailure, StringComparison.Ordinal))
                {
                    problem ??= $"'config validate' after storing it: exit {validate.Code}: {Cut(validate.Error)}";
                }

                await Harness.CliAsync(null, "config", "reset", "--yes", "--db", f.Db);
            }

            if (problem is not null)
            {
                failures.Add($"#{i} {Show(args)} -> exit {r.Code}: {problem}\n  out: {Cut(r.Out)}\n  err: {Cut(r.Error)}");
            }
        }

        Assert.True(failures.Count == 0, $"seed {seed}:\n" + string.Join("\n", failures));
        Report.Add("fuzz.config.inputs", inputs);
        Report.Add("fuzz.config.stored", stored);
    }

    /// <summary>
    /// Mutated ThetaData bodies (v2 paged greeks, v2 lists, v3 greeks, v3 lists) behind a fake terminal in memory:
    /// the client yields rows, or throws a typed <see cref="BackfillException"/>; never anything else, never a hang,
    /// and never a request to a host other than the configured terminal.
    /// </summary>
    [Fact]
    public async Task Fuzzed_response_bodies_give_rows_or_a_typed_error_and_never_leave_the_terminal()
    {
        var inputs = Harness.Knob("BACKFILL_RELIABILITY_FUZZ_JSON", 20000);
        var seed = Harness.Knob("BACKFILL_RELIABILITY_SEED", 20240610);
        var random = new Random(seed + 2);
        var seeds = await SeedBodiesAsync();
        var terminal = new Uri("http://127.0.0.1:25510/");
        var handler = new FakeTerminal(terminal);
        var retry = RetryPolicyTable.Default.WithDelayScale(0);
        using var v2 = (IDisposable)ThetaDataClientFactory.Create(new ThetaDataClientOptions { BaseAddress = terminal, Retry = retry, RequestTimeout = TimeSpan.FromSeconds(5) }, null, handler);
        using var v3 = (IDisposable)ThetaDataClientFactory.Create(new ThetaDataClientOptions { BaseAddress = terminal, ApiVersion = ThetaApiVersion.V3, Retry = retry, RequestTimeout = TimeSpan.FromSeconds(5) }, null, handler);
        var failures = new List<string>();
        var outcomes = new SortedDictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < inputs && failures.Count < 10; i++)
        {
            var which = random.Next(seeds.Count);
            var (name, body, api, isList) = seeds[which];
            var (mutated, how) = Mutate(random, body);
            var status = random.Next(10) == 0 ? Pick(random, [200, 204, 302, 400, 404, 410, 418, 429, 470, 471, 472, 473, 474, 477, 500, 570, 571, 572]) : 200;
            handler.Serve(mutated, status, random.Next(4) == 0 ? seeds.First(s => s.Name == "v2-last-page").Body : null);
            var source = (IOptionGreeksSource)(api == ThetaApiVersion.V2 ? v2 : v3);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Harness.Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            string outcome;
            try
            {
                if (isList)
                {
                    outcome = $"ok:{(await source.ListExpirationsAsync("SPXW", timeout.Token)).Count >= 0}";
                }
                else
                {
                    var rows = 0;
                    await foreach (var _ in source.StreamGreeksAsync(new OptionGreeksRequest("SPXW", new DateOnly(2024, 6, 14), new DateOnly(2024, 6, 12), 3_600_000), null, timeout.Token))
                    {
                        rows++;
                    }

                    outcome = "ok";
                }
            }
            catch (BackfillException e)
            {
                outcome = e.Kind.ToString();
            }
            catch (OperationCanceledException) when (!Harness.Ct.IsCancellationRequested)
            {
                failures.Add($"#{i} {name} {how} status {status}: no answer within 30 s (a parser loop?); body in {Keep(mutated, seed, i)}");
                continue;
            }
            catch (Exception e)
            {
                failures.Add($"#{i} {name} {how} status {status}: {e.GetType().Name}: {e.Message}; body in {Keep(mutated, seed, i)}");
                continue;
            }

            while (handler.ForeignRequests.TryDequeue(out var foreign))
            {
                failures.Add($"#{i} {name} {how}: the client sent a request to '{foreign}', not the configured terminal");
            }

            var key = outcome.StartsWith("ok", StringComparison.Ordinal) ? "ok" : outcome;
            outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
        }

        Assert.True(failures.Count == 0, $"seed {seed}:\n" + string.Join("\n", failures));
        Assert.True(outcomes.GetValueOrDefault(nameof(ErrorKind.InvalidResponse)) > inputs / 10, string.Join(", ", outcomes));
        Report.Add("fuzz.json.inputs", inputs);
        foreach (var (k, n) in outcomes)
        {
            Report.Add($"fuzz.json.outcome-{k}", n);
        }
    }

    /// <summary>Builds one command line: mostly sound settings around one or more fuzzed parts.</summary>
    private static (string[] Args, Dictionary<string, string>? Env, bool MustBeBad) CommandLine(Random random, RunFolder f, string goneUrl)
    {
        var bad = false;
        string Date(bool allowBad = true)
        {
            if (allowBad && random.Next(3) == 0)
            {
                bad = true;
                return Pick(random, BadDates);
            }

            return Pick(random, GoodDates);
        }

        var args = new List<string>();
        switch (random.Next(14))
        {
            case 0:
                args.AddRange(["process", Date()]);
                break;
            case 1:
            case 2:
                var from = Date();
                var to = Date();
                args.AddRange(["process-range", from, to]);
                if (!bad && string.CompareOrdinal(from, to) > 0 && from.Length == 10 && to.Length == 10)
                {
                    bad = true; // reversed
                }

                break;
            case 3:
                args.AddRange(["process-gaps", "--from", Date(), "--to", Date()]);
                if (random.Next(2) == 0)
                {
                    args.AddRange(["--batch-size", Pick(random, Numbers)]);
                }

                if (random.Next(2) == 0)
                {
                    args.Add("--dry-run");
                }

                break;
            case 4:
                args.AddRange(random.Next(3) switch
                {
                    0 => ["retry", Date()],
                    1 => ["retry", "--all-failed", "--since", Date()],
                    _ => ["retry", "--last-n", Pick(random, Numbers)],
                });
                break;
            case 5:
                args.AddRange(random.Next(2) == 0 ? ["gaps", "--last", Pick(random, Spans)] : ["gaps", "--from", Date(), "--to", Date(), "--limit", Pick(random, Numbers)]);
                break;
            case 6:
                args.AddRange(["list", "--status", Pick(random, ["success", "failed", "processing", "bogus", "", "SUCCESS", "☃"])]);
                break;
            case 7:
                args.AddRange(["verify", "--from", Date(), "--to", Date()]);
                if (random.Next(2) == 0)
                {
                    args.Add("--deep");
                }

                break;
            case 8:
                args.AddRange(["cleanup", "--dry-run"]);
                break;
            case 9:
                args.AddRange(["calendar", "--from", Date(), "--to", Date()]);
                break;
            case 10:
                args.AddRange(["status"]);
                break;
            case 11:
                args.AddRange(["config", Pick(random, ["get", "validate", "history"])]);
                break;
            case 12:
                args.AddRange(["process-range", "1900-01-01", "2999-12-31"]);
                bad = true; // outside the calendar
                break;
            default:
                args.AddRange(["process-range", "2024-06-10", Pick(random, ["2024-06-12", "2024-12-30"]), "--max-dte", Pick(random, Numbers)]);
                break;
        }

        // Global options: sound by default, one of them fuzzed now and then.
        var db = f.Db;
        var output = f.Out;
        var temp = f.Temp;
        var url = goneUrl;
        var extra = new List<string>();
        Dictionary<string, string>? env = null;
        switch (random.Next(12))
        {
            case 0:
                db = Pick(random, [$"{f.Root}/a/../backfill.db", $"{f.Root}/../{Path.GetFileName(f.Root)}/backfill.db", $"{f.Root}/ünï côdé/l.db", f.Root, $"{f.Root}/", $"{f.Root}/x\u0000y.db", ""]);
                break;
            case 1:
                output = Pick(random, [$"{f.Root}/out/../out", $"{f.Root}/../{Path.GetFileName(f.Root)}/out", $"{f.Root}/日本/out", f.Db, "", " ", $"{f.Root}/o\u0001ut"]);
                extra.AddRange(["--set", $"processing.outputDirectory={output}"]);
                output = f.Out;
                break;
            case 2:
                // Refused wherever the settings are loaded; commands that do not load them may ignore it.
                url = Pick(random, [$"http://user:{Secret}@127.0.0.1:1", $"http://127.0.0.1:1/?key={Secret}", "ftp://127.0.0.1/", "127.0.0.1:25510", "http://[::1", "", "http://\u00e9xample.invalid:99999"]);
                break;
            case 3:
                env = random.Next(2) == 0
                    ? new Dictionary<string, string> { ["BACKFILL_THETADATA_BASEURL"] = $"http://admin:{Secret}@127.0.0.1:25510" }
                    : new Dictionary<string, string> { ["BACKFILL_DATABENTO_APIKEY"] = $"db-{Secret}" };
                break;
            case 4:
                extra.AddRange(["--set", $"{Pick(random, Keys)}={Pick(random, Numbers)}"]);
                break;
            case 5:
                extra.AddRange(["--format", Pick(random, ["json", "csv", "table", "xml", "", "JSON"])]);
                break;
            case 6:
                extra.AddRange(["--dataset", Pick(random, ["spx", "SPX", "fop", "", "../spx", "spx\u0000"])]);
                break;
            case 7:
                extra.Add(Pick(random, ["--frobnicate", "--", "-", "--set", "--db", "-x", "--verbose"]));
                break;
            case 8:
                extra.AddRange(["--set", Pick(random, ["novalue", "=x", "processing.startDate", "processing.startDate=", $"thetadata.baseUrl=http://u:{Secret}@h"])]);
                break;
            default:
                break;
        }

        args.AddRange([
            "--db", db,
            "--set", "processing.startDate=2024-06-01",
            "--set", $"processing.outputDirectory={output}",
            "--set", $"processing.tempDirectory={temp}",
            "--set", $"thetadata.baseUrl={url}",

            // Never the vendor: a dataset that calls Databento (fop) gets the local simulator, which refuses.
            "--set", $"databento.baseUrl={goneUrl}",
        ]);
        args.AddRange(extra);
        return ([.. args], env, bad);
    }

    /// <summary>A config value: sound, odd or hostile, with paths kept inside the test folder.</summary>
    private static string Value(Random random, RunFolder f) => random.Next(6) switch
    {
        0 => Pick(random, BadDates.Concat(GoodDates).ToArray()),
        1 => Pick(random, Numbers),
        2 => Pick(random, [$"http://user:{Secret}@127.0.0.1:25510", $"https://127.0.0.1:25503/?token={Secret}", "http://127.0.0.1:25510", "v2", "v3", "V3", "v4", "ws://x"]),
        3 => Pick(random, [$"{f.Root}/a/../b", $"{f.Root}/../{Path.GetFileName(f.Root)}/c", f.Db, $"{f.Root}/ünï/d", $"{f.Root}/e\u0007f", f.Root + "/"]),
        4 => new string((char)random.Next(0x20, 0x2FFF), random.Next(0, 40)),
        _ => Pick(random, ["", " ", "\t", "null", "true", "-0", "1e309", "\u202e", "\ud83d\ude00"]),
    };

    /// <summary>Why an outcome is wrong, or null.</summary>
    private static string? Judge(IReadOnlyList<string> args, (int Code, string Out, string Error) r, bool mustBeBad)
    {
        var all = r.Out + r.Error;
        if (r.Code is not (ExitCodes.Ok or ExitCodes.Failed or ExitCodes.BadInput or ExitCodes.Environment))
        {
            return $"undocumented exit code {r.Code}";
        }

        if (all.Contains(GenericFailure, StringComparison.Ordinal))
        {
            return "an unexpected exception reached the generic handler";
        }

        if (all.Contains(Secret, StringComparison.Ordinal))
        {
            return "the secret from the input was printed";
        }

        var verbose = args.Contains("--verbose");
        if (!verbose && (all.Contains("   at ", StringComparison.Ordinal) || all.Contains("Exception:", StringComparison.Ordinal)))
        {
            return "a stack trace or exception dump was printed";
        }

        if (all.Any(c => c < 0x20 && c is not ('\n' or '\r' or '\t')))
        {
            return "a raw control character was printed";
        }

        if (r.Code is ExitCodes.BadInput or ExitCodes.Environment && !(args.Count > 1 && args[0] == "config" && args[1] == "validate"))
        {
            // ('config validate' answers with its table of settings, each with its problem.)
            var line = r.Error.Split('\n').FirstOrDefault(l => l.StartsWith("error: ", StringComparison.Ordinal));
            if (line is null || line.Trim().Length < 20)
            {
                return "exit 2/3 without a clear 'error: ...' message";
            }
        }

        if (mustBeBad && r.Code is not (ExitCodes.BadInput or ExitCodes.Environment))
        {
            return "a bad input was not refused with exit 2 (or 3)";
        }

        return null;
    }

    /// <summary>Valid bodies taken from the simulator, the mutation seeds.</summary>
    private static async Task<List<(string Name, byte[] Body, ThetaApiVersion Api, bool IsList)>> SeedBodiesAsync()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.01, TickLimit = 40 }, 0, Harness.Ct);
        using var http = new HttpClient { BaseAddress = sim.BaseAddress };
        var list = await http.GetByteArrayAsync("v2/list/expirations?root=SPXW", Harness.Ct);
        byte[]? page = null;
        string? expiration = null;
        foreach (var exp in System.Text.Json.JsonDocument.Parse(list).RootElement.GetProperty("response").EnumerateArray().Select(e => e.GetInt32()).Where(e => e >= 20240612))
        {
            using var response = await http.GetAsync($"v2/bulk_hist/option/greeks?root=SPXW&exp={exp}&start_date=20240612&end_date=20240612&ivl=3600000&rth=true", Harness.Ct);
            if (response.IsSuccessStatusCode)
            {
                page = await response.Content.ReadAsByteArrayAsync(Harness.Ct);
                expiration = exp.ToString(CultureInfo.InvariantCulture);
                break;
            }
        }

        Assert.NotNull(page);
        var text = Encoding.UTF8.GetString(page);
        var next = text.IndexOf("\"next_page\":\"", StringComparison.Ordinal) + 13;
        var end = text.IndexOf('"', next);
        Assert.True(next > 13 && text[next..end].StartsWith("http", StringComparison.Ordinal), "the seed page has no next_page");
        var lastPage = Encoding.UTF8.GetBytes(text[..next] + "null" + text[end..]);
        var v3 = await http.GetByteArrayAsync($"v3/option/history/greeks/first_order?symbol=SPXW&expiration={expiration}&date=20240612&interval=1h&format=json", Harness.Ct);
        return
        [
            ("v2-page", page, ThetaApiVersion.V2, false),
            ("v2-last-page", lastPage, ThetaApiVersion.V2, false),
            ("v2-list", list, ThetaApiVersion.V2, true),
            ("v2-error", """{"header":{"id":1,"latency_ms":1,"error_type":"NO_DATA","error_msg":"none","next_page":"null","format":null},"response":[]}"""u8.ToArray(), ThetaApiVersion.V2, false),
            ("v3-greeks", v3, ThetaApiVersion.V3, false),
            ("v3-list", await http.GetByteArrayAsync("v3/option/list/expirations?symbol=SPXW&format=json", Harness.Ct), ThetaApiVersion.V3, true),
        ];
    }

    private static readonly string[] Tokens =
    [
        "null", "true", "\"\"", "\"x\"", "{", "}", "[", "]", ",", ":", "1e999", "-0", "NaN", "\"\\ud800\"", "99999999999999999999999", "-1",
        "\"2024-06-12T09:30:00.000\"", "\"20240612\"", "0", "{\"a\":1}", "[[]]", "\u00ff", "\"\u0000\"", "\"next_page\":\"ftp://x/y\"",
        new string('[', 300), "\"" + new string('x', 70_000) + "\"",
    ];

    private static readonly string[] NextPages =
    [
        "\"file:///etc/passwd\"", "\"ftp://127.0.0.1/v2/page/1\"", "\"http://203.0.113.7/v2/page/1\"", "\"http://127.0.0.1:1/v2/page/1\"",
        "\"not a url\"", "\"\"", "123", "null", "\"/v2/page/1\"", "\"http://user:pw@127.0.0.1:25510/v2/page/1\"", "\"javascript:alert(1)\"",
    ];

    /// <summary>One to three mutations of <paramref name="body"/>, and what they were.</summary>
    private static (byte[] Body, string How) Mutate(Random random, byte[] body)
    {
        var bytes = new List<byte>(body);
        var how = new List<string>();
        for (var n = 1 + random.Next(3); n > 0; n--)
        {
            var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(9))
            {
                case 0:
                    bytes.RemoveRange(at, bytes.Count - at);
                    how.Add($"truncate@{at}");
                    break;
                case 1 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    how.Add($"flip@{at}");
                    break;
                case 2 when bytes.Count > 0:
                    bytes[at] = (byte)random.Next(256);
                    how.Add($"byte@{at}");
                    break;
                case 3:
                    var len = Math.Min(bytes.Count - at, 1 + random.Next(64));
                    bytes.RemoveRange(at, len);
                    how.Add($"delete@{at}+{len}");
                    break;
                case 4:
                    var take = Math.Min(bytes.Count - at, 1 + random.Next(200));
                    bytes.InsertRange(at, bytes.GetRange(at, take));
                    how.Add($"repeat@{at}+{take}");
                    break;
                case 5:
                    var token = Pick(random, Tokens);
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(token));
                    how.Add($"insert@{at}:{(token.Length > 20 ? token[..20] + "..." : token)}");
                    break;
                case 6:
                    // A number replaced by something else.
                    var digit = bytes.FindIndex(at, b => b is >= (byte)'0' and <= (byte)'9');
                    if (digit >= 0)
                    {
                        var stop = digit;
                        while (stop < bytes.Count && bytes[stop] is >= (byte)'0' and <= (byte)'9' or (byte)'.' or (byte)'-')
                        {
                            stop++;
                        }

                        var replacement = Pick(random, ["\"x\"", "null", "1e400", "-1", "99999999999999999999", "0.0000001", "[]", "\"\""]);
                        bytes.RemoveRange(digit, stop - digit);
                        bytes.InsertRange(digit, Encoding.UTF8.GetBytes(replacement));
                        how.Add($"number@{digit}:{replacement}");
                    }

                    break;
                case 7:
                    var text = Encoding.UTF8.GetString([.. bytes]);
                    var i = text.IndexOf("\"next_page\":", StringComparison.Ordinal);
                    if (i >= 0 && i + 13 < text.Length)
                    {
                        var valueStart = i + 12;
                        var valueEnd = text[valueStart] == '"' ? text.IndexOf('"', valueStart + 1) + 1 : text.IndexOf(',', valueStart);
                        if (valueEnd > valueStart)
                        {
                            var page = Pick(random, NextPages);
                            text = text[..valueStart] + page + text[valueEnd..];
                            bytes = [.. Encoding.UTF8.GetBytes(text)];
                            how.Add($"next_page:{page}");
                        }
                    }

                    break;
                default:
                    bytes.Clear();
                    bytes.AddRange(Encoding.UTF8.GetBytes(Pick(random, ["", " ", "no data", "No data for the specified timeframe", "<html>502</html>", "{}", "[]", "{\"response\":null}", "{\"header\":{}}", "null"])));
                    how.Add("replace-all");
                    break;
            }
        }

        return ([.. bytes], string.Join(" ", how));
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    /// <summary>Keeps a body that broke the client, for the failure message.</summary>
    private static string Keep(byte[] body, int seed, int input)
    {
        var path = Path.Combine(Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"backfill-fuzz-{seed}-{input}.json"));
        File.WriteAllBytes(path, body);
        return path;
    }

    private static string Show(IEnumerable<string> args) =>
        string.Join(' ', args.Select(a => a.Length > 60 ? a[..60] + "..." : a)).Replace("\u0000", "\\0", StringComparison.Ordinal).Replace("\u001b", "\\e", StringComparison.Ordinal);

    private static string Cut(string text) => text.Length > 400 ? text[..400] + "..." : text;

    /// <summary>A terminal in memory: serves the body under test (pages after the first get a last page), notes any other host.</summary>
    private sealed class FakeTerminal(Uri terminal) : HttpMessageHandler
    {
        private byte[] _body = [];
        private byte[]? _pages;
        private int _status = 200;

        public System.Collections.Concurrent.ConcurrentQueue<string> ForeignRequests { get; } = new();

        public void Serve(byte[] body, int status, byte[]? pages)
        {
            _body = body;
            _status = status;
            _pages = pages;
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var uri = request.RequestUri!;
            if (uri.Host != terminal.Host || uri.Port != terminal.Port || uri.Scheme != terminal.Scheme)
            {
                ForeignRequests.Enqueue(uri.OriginalString);
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = new ByteArrayContent([]) });
            }

            var isPage = uri.AbsolutePath.Contains("/page/", StringComparison.Ordinal);
            var body = isPage ? _pages ?? """{"header":{"next_page":"null","error_type":"null","format":[]},"response":[]}"""u8.ToArray() : _body;
            return Task.FromResult(new HttpResponseMessage((HttpStatusCode)(isPage ? 200 : _status)) { Content = new ByteArrayContent(body) });
        }
    }
}
