using System.Security.Cryptography;

namespace Trinity.Testing;

/// <summary>Fresh, token-shaped secrets per run: a leak scan that finds one found a real leak, not a fixture.</summary>
public static class Canary
{
    public static string NewToken() => $"sk-ant-oat01-canary-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24))}";
}
