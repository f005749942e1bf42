namespace Backfill.Storage.Publish;

/// <summary>A file at its final path: size and lower-case hex SHA-256 of its bytes.</summary>
public sealed record PublishedFile(string Path, long SizeBytes, string Sha256);
