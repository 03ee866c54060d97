using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Trinity.Api.Configuration;

/// <summary>
/// A body that does not bind (a number where a name belongs, JSON that does not parse, a wrong content type) is the
/// caller's mistake: 400 (or the status the binder chose) with the field it tripped on, never a 500 and never the value.
/// </summary>
public sealed class BadRequestBodies : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
            return false;
        var json = exception.InnerException as JsonException;
        var field = json?.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
        var result = field is not null
            ? Results.ValidationProblem(new Dictionary<string, string[]> { [field] = ["Not a value of the type this field takes."] }, statusCode: bad.StatusCode)
            : Results.Problem(statusCode: bad.StatusCode, title: json is not null ? "The request body is not valid JSON." : bad.Message);
        await result.ExecuteAsync(httpContext);
        return true;
    }
}
