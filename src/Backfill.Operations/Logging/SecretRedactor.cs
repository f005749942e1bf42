using System.Text.RegularExpressions;
using Backfill.Ledger.Postgres;

namespace Backfill.Operations.Logging;

/// <summary>
/// Removes secrets from text before it is logged: the values of secret environment variables (API keys, encryption
/// keys, database URLs), passwords in URLs and connection strings, and <c>apikey=</c> query parameters.
/// </summary>
public sealed partial class SecretRedactor
{
    public const string Mask = "***";

    /// <summary>Environment variables whose values are secret wherever they appear.</summary>
    public static readonly IReadOnlyList<string> SecretVariables =
        ["ALPHA_VANTAGE_API_KEY", "DATABENTO_API_KEY", "BACKFILL_DATABENTO_APIKEY", "OHLCV_ENCRYPTION_KEY", "CRYPTOLAKE_API_KEY", "BACKFILL_DATABASE_URL", "PGPASSWORD", "BACKFILL_ALERTS_WEBHOOKURL"];

    private readonly string[] _values;

    public SecretRedactor(IEnumerable<string> secretValues)
    {
        ArgumentNullException.ThrowIfNull(secretValues);
        _values = [.. secretValues.Where(v => v.Trim().Length >= 4).Select(v => v.Trim()).Distinct(StringComparer.Ordinal).OrderByDescending(v => v.Length)];
    }

    /// <summary>A redactor for the secrets <paramref name="lookup"/> finds under <see cref="SecretVariables"/> and any variable named like a secret.</summary>
    public static SecretRedactor FromEnvironment(Func<string, string?> lookup, IEnumerable<string> variableNames)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        ArgumentNullException.ThrowIfNull(variableNames);
        var names = SecretVariables.Concat(variableNames.Where(LooksSecret)).Distinct(StringComparer.Ordinal);
        var values = new List<string>();
        foreach (var name in names)
        {
            if (lookup(name) is { Length: > 0 } value)
            {
                values.Add(value);
                if (PasswordInUrl().Match(value) is { Success: true } m)
                {
                    values.Add(Uri.UnescapeDataString(m.Groups["secret"].Value));
                    values.Add(m.Groups["secret"].Value);
                }
            }
        }

        return new SecretRedactor(values);
    }

    public static bool LooksSecret(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var upper = name.ToUpperInvariant();
        return upper.EndsWith("_KEY", StringComparison.Ordinal) || upper.EndsWith("APIKEY", StringComparison.Ordinal) || upper.Contains("SECRET", StringComparison.Ordinal) ||
               upper.Contains("TOKEN", StringComparison.Ordinal) || upper.Contains("PASSWORD", StringComparison.Ordinal) ||
               upper.EndsWith("DATABASE_URL", StringComparison.Ordinal);
    }

    public string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }

        foreach (var value in _values)
        {
            text = text.Replace(value, Mask, StringComparison.Ordinal);
        }

        text = PostgresUrl.MaskPasswords(text);
        text = PasswordInUrl().Replace(text, m => m.Value.Replace(m.Groups["secret"].Value, Mask, StringComparison.Ordinal));
        text = SecretParameter().Replace(text, m => m.Groups["name"].Value + Mask);
        return text;
    }

    [GeneratedRegex(@"[a-z][a-z0-9+.-]*://[^:/@\s]*:(?<secret>[^@\s/]+)@", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PasswordInUrl();

    [GeneratedRegex(@"(?<name>\b(?:apikey|api_key|access_token|token|password|pwd|secret)\s*=\s*)(?!\*\*\*)[^\s&;,""']+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretParameter();
}
