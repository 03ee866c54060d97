using Trinity.Hosting.Logging;
using Trinity.Infrastructure.Observability;
using Trinity.Infrastructure.Outbox;
using Trinity.Messaging.Contracts.Failures;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Api.Failures;

public sealed record ReportFailureRequest(
    string? AgentName, int? StatusCode, string? ErrorMessage, string? Source, string? ExecutionId, int? RetryAfterSeconds, Guid? SubscriptionId, string? TokenFingerprint);

public static class FailureRoutes
{
    /// <summary>For producers that do not speak AMQP: classified here, then handed to the failure intake like any other report.</summary>
    public static RouteGroupBuilder MapFailureRoutes(this RouteGroupBuilder api)
    {
        api.MapPost("/failures", async (ReportFailureRequest? request, OutboxWriter outbox, TimeProvider clock, CancellationToken cancellationToken) =>
        {
            var errors = new Dictionary<string, string[]>();
            if (request is null || !Messaging.Contracts.Identity.AgentName.TryNormalize(request.AgentName, out _))
                errors["agentName"] = ["A DNS label (1-63 of a-z, 0-9, '-') is required."];
            var source = Enum.GetValues<FailureSource>().Cast<FailureSource?>()
                .FirstOrDefault(s => string.Equals(s.ToString(), request?.Source?.Replace("-", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase));
            if (source is null)
                errors["source"] = ["One of chat, schedule, api."];
            if (request?.SubscriptionId is null && !TokenFingerprint.IsWellFormed(request?.TokenFingerprint))
                errors["subscriptionId"] = ["The subscription the turn ran on, or the tokenFingerprint it started with (12 lower-case hex characters)."];
            if (request?.RetryAfterSeconds is < 0)
                errors["retryAfterSeconds"] = ["Not negative."];
            if (errors.Count > 0)
                return Results.ValidationProblem(errors);

            var report = SubscriptionFailureReports.FromTurn(new TurnFailure
            {
                AgentName = request!.AgentName!,
                Source = source!.Value,
                StatusCode = request.StatusCode,
                ErrorMessage = request.ErrorMessage,
                SubscriptionId = request.SubscriptionId,
                TokenFingerprint = request.TokenFingerprint,
                ExecutionId = request.ExecutionId,
                RetryAfterSeconds = request.RetryAfterSeconds,
                OccurredAt = clock.GetUtcNow(),
            }, out var notOurs, SecretRedaction.Scrub);
            if (report is null)
            {
                TrinityMetrics.IntakeRejected("not-a-subscription-failure");
                return Results.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: $"Not a subscription failure: {notOurs}.");
            }

            outbox.Publish(report);
            await outbox.SaveAndSendAsync(transaction: null, cancellationToken);
            return Results.Accepted(value: new { report.FailureId, kind = report.Kind });
        });
        return api;
    }
}
