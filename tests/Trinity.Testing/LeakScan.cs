namespace Trinity.Testing;

/// <summary>Where a token could leak on this machine, read for real; a scan that read nothing proves nothing.</summary>
public static class LeakScan
{
    /// <summary>The command line of every process on the host (containers' processes included: they share the kernel).</summary>
    public static IReadOnlyList<string> ProcessCommandLines()
    {
        var lines = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            try
            {
                lines.Add(File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' '));
            }
            catch (IOException)
            {
                // the process ended while we looked
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return lines;
    }

    public static void AssertAbsent(IEnumerable<string> secrets, IReadOnlyCollection<string> texts, string where, int atLeastCharacters)
    {
        var read = texts.Sum(t => t.Length);
        if (read < atLeastCharacters)
            throw new InvalidOperationException($"The scan of {where} read {read} characters: too little to prove anything.");
        foreach (var secret in secrets)
        {
            var leak = texts.FirstOrDefault(t => t.Contains(secret, StringComparison.Ordinal));
            if (leak is not null)
                throw new Xunit.Sdk.XunitException($"A token leaked into {where}: …{leak[Math.Max(0, leak.IndexOf(secret, StringComparison.Ordinal) - 60)..][..Math.Min(120, leak.Length)]}…".Replace(secret, "<the token>", StringComparison.Ordinal));
        }
    }
}
