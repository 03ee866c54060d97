using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Trinity.Api.Security;

/// <summary>Every route but health requires the admin key (<c>Authorization: Bearer …</c>), compared in constant time.</summary>
public sealed class RequireAdminKey(IOptions<ApiOptions> options) : IEndpointFilter
{
    readonly byte[] _key = Encoding.UTF8.GetBytes(options.Value.AdminKey);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.Ordinal) ? Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()) : [];
        return CryptographicOperations.FixedTimeEquals(presented, _key)
            ? await next(context)
            : Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "The admin key is missing or wrong.");
    }
}
