namespace Backfill.Engine.Configuration;

/// <summary>A URL whose path and query are the credential (an incoming webhook): only its scheme, host and port are ever shown.</summary>
public static class SecretUrl
{
    /// <summary><c>https://hooks.slack.com/***</c>; text that is not a URL at all becomes <c>***</c>.</summary>
    public static string Mask(string? url) =>
        Uri.TryCreate(url?.Trim(), UriKind.Absolute, out var uri) && !uri.IsFile && uri.Host.Length > 0
            ? $"{uri.Scheme}://{uri.Authority[(uri.Authority.LastIndexOf('@') + 1)..]}/{SecretSetting.Mask}"
            : SecretSetting.Mask;
}
