using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Trinity.Api.Security;

/// <summary>Tells readers of the OpenAPI document that every route wants the admin key as a bearer token.</summary>
public sealed class AdminKeySecurityScheme : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info.Title = "Trinity.Messaging API";
        document.Info.Description = "Subscriptions, agents, failure reports and rotation history. Every route wants `Authorization: Bearer <admin key>`.";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes["adminKey"] = new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "bearer" };
        document.Security ??= [];
        document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("adminKey", document)] = [] });
        return Task.CompletedTask;
    }
}
