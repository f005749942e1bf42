using System.Text.RegularExpressions;
using Backfill.Core.Errors;
using Backfill.Core.Time;

namespace Backfill.ObjectStorage;

/// <summary>
/// An <c>s3://bucket/prefix</c> location: a bucket named by S3's rules and a key prefix without leading or trailing
/// '/'. Credentials, a query or a fragment in the URI are refused: credentials come from the standard AWS chain only.
/// </summary>
public sealed partial record S3Location(string Bucket, string Prefix)
{
    /// <summary>The location as a user writes it: <c>s3://bucket</c> or <c>s3://bucket/prefix</c>.</summary>
    public override string ToString() => Prefix.Length == 0 ? $"s3://{Bucket}" : $"s3://{Bucket}/{Prefix}";

    /// <summary>The key of <paramref name="relative"/> below the prefix.</summary>
    public string KeyFor(string relative) => Prefix.Length == 0 ? relative : Prefix + "/" + relative;

    /// <summary>Whether <paramref name="value"/> starts with <c>s3://</c> (any case).</summary>
    public static bool IsS3(string? value) => value is not null && value.TrimStart().StartsWith("s3://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <paramref name="value"/>; <see cref="InvalidInputException"/> names <paramref name="settingKey"/>, the value and the fix.</summary>
    public static S3Location Parse(string value, string settingKey)
    {
        ArgumentNullException.ThrowIfNull(value);
        var text = value.Trim();
        var shown = DateInput.Printable(MaskUserInfo(text));
        if (!IsS3(text))
        {
            throw new InvalidInputException($"{settingKey}: '{shown}' is not an s3:// location. Example: s3://my-bucket/backfill.");
        }

        var rest = text[5..];
        if (rest.Contains('@', StringComparison.Ordinal) || rest.Contains('?', StringComparison.Ordinal) || rest.Contains('#', StringComparison.Ordinal))
        {
            throw new InvalidInputException(
                $"{settingKey}: '{shown}' carries credentials, a query or a fragment. Give only s3://BUCKET/PREFIX; credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the instance role.");
        }

        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? string.Empty : rest[(slash + 1)..].Trim('/');
        if (!BucketPattern().IsMatch(bucket) || bucket.Contains("..", StringComparison.Ordinal))
        {
            throw new InvalidInputException(
                $"{settingKey}: '{shown}' does not name a valid bucket ('{DateInput.Printable(bucket)}'). Bucket names are 3-63 characters of lower-case letters, digits, '.' and '-', e.g. s3://my-bucket/backfill.");
        }

        if (prefix.Split('/').Any(part => part is "." or ".." || (part.Length == 0 && prefix.Length > 0)) || prefix.Any(char.IsControl) || prefix.Contains('\\', StringComparison.Ordinal))
        {
            throw new InvalidInputException($"{settingKey}: '{shown}' has an empty, '.', '..' or backslash part in its prefix. Example: s3://my-bucket/backfill/parquet.");
        }

        return new S3Location(bucket, prefix);
    }

    private static string MaskUserInfo(string text)
    {
        var at = text.IndexOf('@', StringComparison.Ordinal);
        return at < 0 ? text : "s3://***" + text[at..];
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex BucketPattern();
}
