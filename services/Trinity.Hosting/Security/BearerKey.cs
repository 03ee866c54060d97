using System.Security.Cryptography;
using System.Text;

namespace Trinity.Hosting.Security;

/// <summary>A key presented as <c>Authorization: Bearer …</c>, compared in constant time.</summary>
public sealed class BearerKey(string key)
{
    const string Scheme = "Bearer ";
    readonly byte[] _key = Encoding.UTF8.GetBytes(key);

    public bool Matches(string? authorizationHeader) =>
        authorizationHeader is not null
        && authorizationHeader.StartsWith(Scheme, StringComparison.Ordinal)
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(authorizationHeader[Scheme.Length..].Trim()), _key);
}
