using Microsoft.Extensions.Options;
using Trinity.Api.Configuration;
using Trinity.Hosting.Security;

namespace Trinity.Api.Security;

/// <summary>Every route but health requires the admin key (<c>Authorization: Bearer …</c>), compared in constant time.</summary>
public sealed class RequireAdminKey(IOptions<ApiOptions> options) : IEndpointFilter
{
    readonly BearerKey _key = new(options.Value.AdminKey);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        _key.Matches(context.HttpContext.Request.Headers.Authorization)
            ? await next(context)
            : Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "The admin key is missing or wrong.");
}
