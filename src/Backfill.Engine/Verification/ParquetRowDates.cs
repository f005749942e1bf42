using System.Globalization;
using ParquetSharp;

namespace Backfill.Engine.Verification;

/// <summary>
/// Reads one date-like column of a published Parquet file, row group by row group, and says which rows do not belong to
/// the date the file stands for: the check that keeps a file copied to another date's path from passing as that date.
/// </summary>
public static class ParquetRowDates
{
    /// <summary>A <c>DATE</c> column (days since 1970-01-01) whose every value must be <paramref name="date"/>.</summary>
    public static string? CheckDateColumn(string path, int column, string name, DateOnly date)
    {
        var expected = date.DayNumber - DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;
        return Check(path, column, name, date, (long days) => days == expected,
            days => DateOnly.FromDayNumber(checked((int)days) + DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            static (ColumnReader reader, int n) => reader.LogicalReader<Date>().ReadAll(n).Select(d => (long)d.Days).ToArray());
    }

    /// <summary>
    /// A nanosecond UTC timestamp column whose every value must fall in the UTC day <paramref name="date"/>, widened by
    /// <paramref name="slack"/> on both sides (a vendor's day partition may hold a message received just across midnight).
    /// </summary>
    public static string? CheckUtcDayNanos(string path, int column, string name, DateOnly date, TimeSpan slack)
    {
        var dayStart = (date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) - DateTime.UnixEpoch).Ticks * 100;
        var from = dayStart - slack.Ticks * 100;
        var to = dayStart + TimeSpan.FromDays(1).Ticks * 100 + slack.Ticks * 100;
        return Check(path, column, name, date, (long ns) => ns >= from && ns < to,
            ns => DateTime.UnixEpoch.AddTicks(ns / 100).ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            static (ColumnReader reader, int n) => reader.LogicalReader<long>().ReadAll(n));
    }

    private static string? Check(string path, int column, string name, DateOnly date, Func<long, bool> belongs, Func<long, string> show, Func<ColumnReader, int, long[]> read)
    {
        using var file = new ParquetFileReader(path);
        long rows = 0;
        long wrong = 0;
        long? first = null;
        for (var g = 0; g < file.FileMetaData.NumRowGroups; g++)
        {
            using var group = file.RowGroup(g);
            var n = checked((int)group.MetaData.NumRows);
            using var reader = group.Column(column);
            foreach (var value in read(reader, n))
            {
                if (!belongs(value))
                {
                    wrong++;
                    first ??= value;
                }
            }

            rows += n;
        }

        return wrong == 0
            ? null
            : string.Create(CultureInfo.InvariantCulture,
                $"{wrong} of its {rows} row(s) have {name} {show(first!.Value)}, not {date:yyyy-MM-dd}: it holds another date's data");
    }
}
