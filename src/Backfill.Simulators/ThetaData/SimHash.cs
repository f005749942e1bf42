namespace Backfill.Simulators.ThetaData;

/// <summary>Deterministic hashing and random numbers (SplitMix64), stable across runs and .NET versions.</summary>
internal struct SimRandom(ulong state)
{
    private ulong _state = state;

    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    public static ulong Hash(params ReadOnlySpan<long> parts)
    {
        var h = 0x51_7C_C1_B7_27_22_0A_95UL;
        foreach (var p in parts)
        {
            h = Mix(h ^ unchecked((ulong)p));
        }

        return h;
    }

    public static ulong HashString(string s)
    {
        var h = 1469598103934665603UL;
        foreach (var c in s)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        return Mix(h);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public static double Fraction(ulong hash) => (hash >> 11) * (1.0 / (1UL << 53));

    public ulong NextULong()
    {
        _state += 0x9E3779B97F4A7C15UL;
        var z = _state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public double NextDouble() => Fraction(NextULong());

    /// <summary>Standard normal (Box-Muller).</summary>
    public double NextNormal()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
