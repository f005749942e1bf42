using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Core.Time;

namespace Backfill.Engine.Configuration;

/// <summary>Type-checks and normalises setting values. Messages name the key, the value and the fix.</summary>
public static class SettingValidator
{
    /// <summary>The longest full path accepted (Linux's PATH_MAX).</summary>
    public const int MaxPathLength = 4096;

    /// <summary>The longest folder or file name accepted (NAME_MAX on common filesystems).</summary>
    public const int MaxPathSegmentLength = 255;

    /// <summary>Returns the normalised value, or throws <see cref="InvalidInputException"/>.</summary>
    public static string Validate(SettingDefinition definition, string? value)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var key = definition.Key;
        var text = value?.Trim() ?? string.Empty;
        var shown = definition.Kind switch
        {
            SettingKind.Secret => SecretSetting.Mask,
            SettingKind.SecretUrl => SecretUrl.Mask(text),
            _ => DateInput.Printable(text),
        };
        if (text.Length == 0)
        {
            throw new InvalidInputException($"{key}: a value is required. Example: backfill config set {key} {definition.Example}");
        }

        switch (definition.Kind)
        {
            case SettingKind.HttpUrl:
                if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                {
                    throw new InvalidInputException($"{key}: '{shown}' is not an http(s) URL. Use a full URL such as {definition.Example}.");
                }

                RefuseUserInfo(key, uri);
                return uri.GetLeftPart(UriPartial.Path).TrimEnd('/');

            case SettingKind.SecretUrl:
                if (!Uri.TryCreate(text, UriKind.Absolute, out var secretUri) || (secretUri.Scheme != Uri.UriSchemeHttp && secretUri.Scheme != Uri.UriSchemeHttps)
                    || text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
                {
                    throw new InvalidInputException($"{key}: '{shown}' is not an http(s) URL. Use the full URL the service issued, such as {definition.Example}.");
                }

                RefuseUserInfo(key, secretUri);
                return secretUri.AbsoluteUri;

            case SettingKind.Date:
                var date = DateInput.ParseDate(text, key, DateOnly.FromDateTime(DateTime.UtcNow));
                return date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

            case SettingKind.PositiveInt:
            case SettingKind.NonNegativeInt:
                if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
                {
                    throw new InvalidInputException($"{key}: '{shown}' is not a whole number. Example: {definition.Example}.");
                }

                if (n < definition.Min || n > definition.Max)
                {
                    throw new InvalidInputException($"{key}: {n} is out of range. Use a number from {definition.Min} to {definition.Max}.");
                }

                return n.ToString(CultureInfo.InvariantCulture);

            case SettingKind.Choice:
                var choice = definition.Choices!.FirstOrDefault(c => c.Equals(text, StringComparison.OrdinalIgnoreCase));
                return choice ?? throw new InvalidInputException(
                    $"{key}: '{shown}' is not one of {string.Join(", ", definition.Choices!)}.");

            case SettingKind.ChoiceList:
                return ChoiceList(definition, text);

            case SettingKind.WritableDirectory:
                if (key == Settings.OutputDirectory && Backfill.Storage.Outputs.OutputStores.SchemeOf(text) == "s3")
                {
                    return Backfill.ObjectStorage.S3Location.Parse(text, key).ToString();
                }

                if (Backfill.Storage.Outputs.OutputStores.SchemeOf(text) is { } scheme)
                {
                    throw new InvalidInputException(
                        $"{key}: '{shown}' names the scheme '{scheme}://', which this version cannot store files in. Use a local folder path.");
                }

                CheckPath(key, text);
                var problem = WritableDirectoryProblem(text);
                if (problem is not null)
                {
                    throw new InvalidInputException($"{key}: '{shown}' {problem}");
                }

                return text;

            case SettingKind.FilePath:
                CheckPath(key, text);
                if (text.EndsWith('/') || Directory.Exists(text))
                {
                    throw new InvalidInputException($"{key}: '{shown}' is a directory. Give a file path such as {definition.Example}.");
                }

                return text;

            case SettingKind.Fraction:
                if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction) || fraction < 0 || fraction > 1)
                {
                    throw new InvalidInputException($"{key}: '{shown}' is not a number from 0 to 1. Example: {definition.Example}.");
                }

                return fraction.ToString(CultureInfo.InvariantCulture);

            case SettingKind.DatabaseUrl:
                try
                {
                    _ = Backfill.Ledger.Postgres.PostgresUrl.Parse(text);
                    return text;
                }
                catch (FormatException e)
                {
                    throw new InvalidInputException($"{key}: '{Backfill.Ledger.Postgres.PostgresUrl.MaskPasswords(shown)}' {e.Message}");
                }

            case SettingKind.Custom:
                return (definition.Check ?? throw new InvalidOperationException($"{key} has no check."))(text);

            case SettingKind.GridStep:
                if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var step) || step <= 0 || step > 1000)
                {
                    throw new InvalidInputException($"{key}: '{shown}' is not a positive decimal step up to 1000. Example: {definition.Example}.");
                }

                return step.ToString(CultureInfo.InvariantCulture);

            case SettingKind.Secret:
                if (SecretSetting.IsProtected(text))
                {
                    return text;
                }

                if (text.Length > 256 || text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
                {
                    throw new InvalidInputException($"{key}: the value (not shown) has spaces or control characters or is over 256 characters; give the key exactly as issued.");
                }

                return text;

            default:
                throw new ArgumentOutOfRangeException(nameof(definition), definition.Kind, null);
        }
    }

    /// <summary>Why a directory cannot be used for writing, or null when it can (it may not exist yet).</summary>
    public static string? WritableDirectoryProblem(string path)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return "is not a valid path. Use an absolute path or one relative to the current folder.";
        }

        if (File.Exists(full))
        {
            return "is a file, not a directory. Choose a directory path.";
        }

        var probe = full;
        while (!Directory.Exists(probe))
        {
            var parent = Path.GetDirectoryName(probe);
            if (parent is null || parent == probe)
            {
                return "has no existing parent directory. Create it first.";
            }

            if (File.Exists(parent))
            {
                return $"cannot be created because '{parent}' is a file.";
            }

            probe = parent;
        }

        try
        {
            var test = Path.Combine(probe, $".backfill-write-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
            using (File.Create(test, 1, FileOptions.DeleteOnClose))
            {
            }

            return null;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return probe == full
                ? "is not writable by this user. Fix its permissions (chmod u+w) or choose another directory."
                : $"cannot be created: '{probe}' is not writable by this user. Fix its permissions or choose another directory.";
        }
    }

    private static string ChoiceList(SettingDefinition definition, string text)
    {
        var key = definition.Key;
        var items = text.Split(',', StringSplitOptions.TrimEntries);
        if (items.Length == 1 && items[0].Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return "none";
        }

        var chosen = new List<string>();
        foreach (var item in items)
        {
            var choice = definition.Choices!.FirstOrDefault(c => c.Equals(item, StringComparison.OrdinalIgnoreCase));
            if (choice is null)
            {
                var problem = item.Length == 0 ? "has an empty entry"
                    : item.Equals("none", StringComparison.OrdinalIgnoreCase) ? "combines none with other values"
                    : $"names '{DateInput.Printable(item)}', which is unknown";
                throw new InvalidInputException(
                    $"{key}: '{DateInput.Printable(text)}' {problem}. Use a comma-separated list of {string.Join(", ", definition.Choices!)}, or none. Example: {definition.Example}.");
            }

            if (!chosen.Contains(choice))
            {
                chosen.Add(choice);
            }
        }

        return string.Join(',', chosen);
    }

    /// <summary>
    /// Refuses a URL that carries a user name or password: stored settings are plain text in the ledger. The message never
    /// shows the URL, since the secret is in it.
    /// </summary>
    public static void RefuseUserInfo(string key, Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            throw new InvalidInputException($"{key}: the URL must not carry credentials. Remove the 'user:password@' part.");
        }
    }

    public static void CheckPath(string key, string text)
    {
        if (text.Contains('\0', StringComparison.Ordinal) || text.Any(char.IsControl))
        {
            throw new InvalidInputException($"{key}: the path contains control characters. Type a plain path.");
        }

        // Checked when the value is set, so that a run does not download a whole day before the filesystem refuses the path.
        var full = text.Length > MaxPathLength ? text : Path.GetFullPath(text);
        if (full.Length > MaxPathLength)
        {
            throw new InvalidInputException(
                $"{key}: the path '{Shorten(text)}' is {full.Length} characters long in full; use a path of at most {MaxPathLength} characters.");
        }

        var longest = full.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).MaxBy(s => s.Length) ?? string.Empty;
        if (longest.Length > MaxPathSegmentLength)
        {
            throw new InvalidInputException(
                $"{key}: the path '{Shorten(text)}' has a folder or file name of {longest.Length} characters ('{Shorten(longest)}'); use names of at most {MaxPathSegmentLength} characters.");
        }
    }

    private static string Shorten(string text) =>
        text.Length <= 60 ? DateInput.Printable(text) : $"{DateInput.Printable(text[..40])}…{DateInput.Printable(text[^16..])}";
}
