using System.Text;
using Backfill.Core.Errors;
using Backfill.Sources.CryptoLake.Lake;
using Backfill.Tests.Shared;

namespace Backfill.Sources.CryptoLake.Tests;

/// <summary>Listings and file names meant to damage a terminal or a log reach the exception message escaped and bounded.</summary>
public sealed class HostileBodyTests
{
    private static readonly LakePartition Partition = LakePartition.Create(LakeTable.Trades, "BINANCE", "BTC-USDT", new DateOnly(2024, 8, 8));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(HostileText.Names), MemberType = typeof(HostileText))]
    public async Task A_listing_that_is_not_xml_is_escaped_and_bounded_in_the_message(string body)
    {
        var xml = "<ListBucketResult><Key>"u8.ToArray().Concat(HostileText.Bodies[body]).Concat("</Key></ListBucketResult>"u8.ToArray()).ToArray();
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, xml, "application/xml"));
        using var store = Open(server);
        var e = await Assert.ThrowsAnyAsync<BackfillException>(() => store.ListAsync(Partition, Ct));
        HostileText.AssertHarmless(e.Message);
    }

    [Fact]
    public async Task A_listed_name_with_line_breaks_and_bidi_overrides_is_escaped_when_its_download_breaks_off()
    {
        // All of these are legal in XML 1.0 and pass the file-name check: no separator, no '..', ends in .parquet.
        const string name = "\u009b2J&#13;&#10;2024-01-01 fail Forged&#x2028;\u202Etxt.parquet";
        await using var server = new RawHttpServer(target => target.Contains("list-type=2", StringComparison.Ordinal)
            ? RawHttpServer.Response(200, Encoding.UTF8.GetBytes(Listing(name)), "application/xml")
            : RawHttpServer.Response(200, new byte[10], "application/octet-stream", declaredLength: 1000));
        using var store = Open(server);
        var listed = Assert.Single(await store.ListAsync(Partition, Ct));
        var scratch = Directory.CreateTempSubdirectory("backfill-hostile-").FullName;
        try
        {
            var e = await Assert.ThrowsAsync<ConnectionFailedException>(() => store.FetchAsync(Partition, listed, scratch, Ct));
            HostileText.AssertHarmless(e.Message);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [Fact]
    public async Task A_listed_name_that_is_refused_is_escaped_in_the_message()
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, Encoding.UTF8.GetBytes(Listing("a:\u202E&#10;b.parquet")), "application/xml"));
        using var store = Open(server);
        var e = await Assert.ThrowsAsync<InvalidResponseException>(() => store.ListAsync(Partition, Ct));
        HostileText.AssertHarmless(e.Message);
    }

    private static LakeStore Open(RawHttpServer server) =>
        LakeStore.Open(server.BaseAddress.ToString(), requestTimeout: TimeSpan.FromSeconds(10), retry: RetryPolicyTable.Default.WithDelayScale(0));

    private static string Listing(string name) =>
        $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>{Partition.RelativePrefix}{name}</Key></Contents></ListBucketResult>";
}
