using System.Text;
using SQLitePCL;

namespace Attune.Storage.Sqlite;

/// <summary>
/// Inserts event rows through a prepared multi-row <c>INSERT … VALUES (…), (…)</c> of <see cref="RowsPerStatement"/> rows:
/// one statement step per 32 rows instead of one per row. Rows are buffered; <see cref="Flush"/> writes the remainder and
/// must run before the transaction commits. Seqs are SQLite's (max + 1, no per-row work) except for a row given one through
/// <see cref="AddAt"/>, which the store uses once after a gap so that erased seqs are not handed out again.
/// </summary>
internal sealed class EventInserter : IDisposable
{
    public const int RowsPerStatement = 32;
    private const int Columns = 6;

    private readonly RawStatement _single;
    private readonly RawStatement _multi;
    private readonly RawStatement _singleAt;
    private readonly long[] _owner = new long[RowsPerStatement];
    private readonly long[] _item = new long[RowsPerStatement]; // 0 = no item (indexes start at 1)
    private readonly long[] _type = new long[RowsPerStatement];
    private readonly long[] _ts = new long[RowsPerStatement];
    private readonly double[] _value = new double[RowsPerStatement];
    private readonly bool[] _hasValue = new bool[RowsPerStatement];
    private readonly string?[] _extra = new string?[RowsPerStatement];
    private int _count;

    public EventInserter(sqlite3 db)
    {
        const string head = "INSERT INTO events(profile, item, type, ts, value, extra) VALUES ";
        _single = new RawStatement(db, head + "(?, ?, ?, ?, ?, ?)");
        _singleAt = new RawStatement(db, "INSERT INTO events(profile, item, type, ts, value, extra, seq) VALUES (?, ?, ?, ?, ?, ?, ?)");
        var sql = new StringBuilder(head);
        for (int r = 0; r < RowsPerStatement; r++) sql.Append(r == 0 ? "" : ",").Append("(?, ?, ?, ?, ?, ?)");
        _multi = new RawStatement(db, sql.ToString());
    }

    public void Add(int owner, int item, int type, long timestampMs, double value, bool hasValue, string? extra)
    {
        int i = _count;
        _owner[i] = owner;
        _item[i] = item;
        _type[i] = type;
        _ts[i] = timestampMs;
        _value[i] = value;
        _hasValue[i] = hasValue;
        _extra[i] = extra;
        if (++_count == RowsPerStatement)
        {
            for (int r = 0; r < RowsPerStatement; r++) Bind(_multi, r * Columns, r);
            _multi.Execute();
            _count = 0;
        }
    }

    /// <summary>Writes the buffered rows, then this one under <paramref name="seq"/>: the rows after it continue from there.</summary>
    public void AddAt(long seq, int owner, int item, int type, long timestampMs, double value, bool hasValue, string? extra)
    {
        Flush();
        Add(owner, item, type, timestampMs, value, hasValue, extra);
        Bind(_singleAt, 0, 0);
        _singleAt.Bind(Columns + 1, seq);
        _singleAt.Execute();
        Array.Clear(_extra);
        _count = 0;
    }

    /// <summary>Writes the buffered rows (fewer than a full statement).</summary>
    public void Flush()
    {
        for (int r = 0; r < _count; r++)
        {
            Bind(_single, 0, r);
            _single.Execute();
        }
        Array.Clear(_extra);
        _count = 0;
    }

    /// <summary>Drops buffered rows after a failed transaction.</summary>
    public void Reset()
    {
        Array.Clear(_extra);
        _count = 0;
    }

    private void Bind(RawStatement s, int offset, int r)
    {
        s.Bind(offset + 1, _owner[r]);
        if (_item[r] == 0) s.BindNull(offset + 2); else s.Bind(offset + 2, _item[r]);
        s.Bind(offset + 3, _type[r]);
        s.Bind(offset + 4, _ts[r]);
        if (_hasValue[r]) s.Bind(offset + 5, _value[r]); else s.BindNull(offset + 5);
        s.Bind(offset + 6, _extra[r]);
    }

    public void Dispose()
    {
        _single.Dispose();
        _multi.Dispose();
        _singleAt.Dispose();
    }
}
