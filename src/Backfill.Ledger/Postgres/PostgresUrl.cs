using System.Text.RegularExpressions;
using Npgsql;

namespace Backfill.Ledger.Postgres;

/// <summary>
/// A <c>postgres://user:password@host:port/database?schema=name&amp;sslmode=require</c> URL turned into an Npgsql
/// connection string. <see cref="Masked"/> is the only form ever shown: the password never leaves this type.
/// </summary>
public sealed partial class PostgresUrl
{
    private PostgresUrl(string connectionString, string masked, string schema)
    {
        ConnectionString = connectionString;
        Masked = masked;
        Schema = schema;
    }

    /// <summary>The Npgsql connection string (holds the password: never print it).</summary>
    public string ConnectionString { get; }

    /// <summary>The URL with the password replaced by <c>***</c>.</summary>
    public string Masked { get; }

    /// <summary>The schema that holds the ledger's tables (default <c>public</c>).</summary>
    public string Schema { get; }

    public override string ToString() => Masked;

    /// <summary>True for URLs with the <c>postgres</c> or <c>postgresql</c> scheme.</summary>
    public static bool IsPostgres(string? text) =>
        text is not null && (text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
                             text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// True when <paramref name="text"/> is shaped like a URL (a scheme such as <c>postgres:</c> that is not a Windows
    /// drive letter, or <c>user@host/…</c>): a mistyped ledger URL must be refused, not taken for a file name that
    /// would hold the password.
    /// </summary>
    public static bool LooksLikeUrl(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var slash = text.IndexOfAny(['/', '\\']);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var scheme = colon > 1 && (slash < 0 || colon < slash) && char.IsAsciiLetter(text[0]) &&
                     text[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.');
        var at = text.IndexOf('@', StringComparison.Ordinal);
        var userInfo = at >= 0 && slash > at;
        return scheme || userInfo;
    }

    /// <summary>Parses the URL, or throws <see cref="FormatException"/> with a message that never holds the password.</summary>
    public static PostgresUrl Parse(string text)
    {
        if (!IsPostgres(text) || !Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException("is not a PostgreSQL URL. Use postgres://user:password@host:5432/database.");
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (database.Length == 0)
        {
            throw new FormatException("names no database. Use postgres://user:password@host:5432/database.");
        }

        string? user = null, password = null;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            user = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            password = colon < 0 ? null : Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = database,
            Username = user,
            Password = password,
            ApplicationName = "backfill",
            Timeout = 15,
            CommandTimeout = 60,
        };
        var schema = "public";
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..]);
            switch (key.ToUpperInvariant())
            {
                case "SCHEMA":
                    if (!IdentifierPattern().IsMatch(value))
                    {
                        throw new FormatException("has a schema that is not a plain lower-case identifier (letters, digits, _).");
                    }

                    schema = value;
                    break;
                case "SSLMODE":
                    builder.SslMode = Enum.TryParse<SslMode>(value, ignoreCase: true, out var mode)
                        ? mode
                        : throw new FormatException($"has an unknown sslmode '{value}' (disable, prefer, require, verify-ca, verify-full).");
                    break;
                default:
                    throw new FormatException($"has an unknown parameter '{key}' (known: schema, sslmode).");
            }
        }

        builder.SearchPath = schema;
        var masked = new UriBuilder(uri) { Password = password is null ? string.Empty : "***" }.Uri.ToString();
        return new PostgresUrl(builder.ConnectionString, masked.TrimEnd('/'), schema);
    }

    /// <summary>Replaces the password of any PostgreSQL URL inside <paramref name="text"/> with <c>***</c> (for messages and logs).</summary>
    public static string MaskPasswords(string text) =>
        text is null ? string.Empty : PasswordInUrlPattern().Replace(text, "$1***@");

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex(@"(postgres(?:ql)?://[^:/@\s]*:)[^@\s]*@", RegexOptions.IgnoreCase)]
    private static partial Regex PasswordInUrlPattern();
}
