using System.Diagnostics;
using System.Text.Json;

namespace Backfill.Cli.Tests;

/// <summary>
/// Reads published files with DuckDB (the <c>@duckdb/node-api</c> package run by node), an independent Parquet reader.
/// <c>BACKFILL_TEST_DUCKDB</c> names a node_modules folder holding it; <c>.ci/run</c> installs it into artifacts/duckdb.
/// A test that needs it skips, saying how to install it, when it is missing.
/// </summary>
internal static class DuckDb
{
    /// <summary>The node_modules folder holding @duckdb/node-api; skips the calling test when there is none.</summary>
    public static string RequireModules()
    {
        var modules = Environment.GetEnvironmentVariable("BACKFILL_TEST_DUCKDB") is { Length: > 0 } set ? set : FindUp(Path.Combine("artifacts", "duckdb", "node_modules"));
        if (modules is null || !Directory.Exists(Path.Combine(modules, "@duckdb", "node-api")))
        {
            Assert.Skip("@duckdb/node-api is not installed: set BACKFILL_TEST_DUCKDB to a node_modules folder holding it, or run " +
                "'npm install --prefix artifacts/duckdb @duckdb/node-api@1.5.6-r.1' in the repository (.ci/run does).");
        }

        return modules;
    }

    /// <summary>
    /// Runs each query (where <c>{file}</c> stands for <paramref name="file"/>, quoted for SQL) and returns one JSON array
    /// of row objects per query, numbers as strings.
    /// </summary>
    public static async Task<IReadOnlyList<JsonElement>> QueryAsync(string modules, string file, IReadOnlyList<string> queries, CancellationToken ct)
    {
        const string script = """
            const { DuckDBInstance } = require('@duckdb/node-api');
            (async () => {
              const c = await (await DuckDBInstance.create(':memory:')).connect();
              const f = process.argv[1].replaceAll("'", "''");
              const out = [];
              for (const q of JSON.parse(process.argv[2])) {
                out.push((await c.runAndReadAll(q.replaceAll('{file}', `'${f}'`))).getRowObjectsJson());
              }
              console.log(JSON.stringify(out));
            })().catch(e => { console.error(e.message); process.exit(1); });
            """;
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-e");
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(file);
        start.ArgumentList.Add(JsonSerializer.Serialize(queries));
        start.Environment["NODE_PATH"] = modules;
        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync(ct);
        var error = node.StandardError.ReadToEndAsync(ct);
        await node.WaitForExitAsync(ct);
        Assert.True(node.ExitCode == 0, await error);
        return [.. JsonDocument.Parse(await output).RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    /// <summary>The file's Parquet key-value metadata as DuckDB reads it.</summary>
    public const string MetadataQuery = "SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata({file})";

    public static Dictionary<string, string?> Metadata(JsonElement rows) =>
        rows.EnumerateArray().ToDictionary(e => e.GetProperty("key").GetString()!, e => e.GetProperty("value").GetString());

    private static string? FindUp(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
