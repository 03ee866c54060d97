using System.Text.Json;
using RabbitMQ.Client;
using Trinity.Cli.CommandLine;
using Trinity.Cli.Connections;
using Trinity.Messaging.Contracts;
using Trinity.Messaging.Contracts.Failures;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;

namespace Trinity.Cli.Commands;

/// <summary><c>failures report</c>: what a scheduler calls when a run fails on its subscription. It publishes plain JSON to the intake exchange, as any producer may.</summary>
public static class FailureCommands
{
    public static async Task<int> ReportAsync(CliArguments args, CliSettings settings)
    {
        var agent = args.Required("agent");
        if (!AgentName.TryNormalize(agent, out var agentName))
            throw new CliException($"--agent '{agent}' is not a DNS label (1-63 of a-z, 0-9, '-').");
        var kind = Parse<FailureKind>(args.Required("kind"), "--kind", "rate-limited|authentication-failed|quota-exhausted");
        var source = Parse<FailureSource>(args.Required("source"), "--source", "schedule|chat");
        var subscription = args.Optional("subscription");
        var fingerprint = args.Optional("fingerprint");
        if ((subscription is null) == (fingerprint is null))
            throw new CliException("Give exactly one of --subscription (its id or name) and --fingerprint (of the token the run started with).");
        if (fingerprint is not null && !TokenFingerprint.IsWellFormed(fingerprint))
            throw new CliException($"--fingerprint '{fingerprint}' is not 12 lower-case hex characters.");
        var retryAfter = args.Optional("retry-after") is { } seconds
            ? int.TryParse(seconds, out var parsed) && parsed >= 0 ? parsed : throw new CliException($"--retry-after '{seconds}' is not a number of seconds.")
            : (int?)null;
        var report = new ReportSubscriptionFailure
        {
            FailureId = Guid.NewGuid(),
            AgentName = agentName,
            SubscriptionId = subscription is null ? null : await SubscriptionCommands.ResolveAsync(subscription, settings),
            TokenFingerprint = fingerprint,
            Kind = kind,
            Source = source,
            ExecutionId = args.Optional("execution"),
            ErrorMessage = TokenShapedText.ScrubAndTruncate(args.Optional("message"), ReportSubscriptionFailure.ErrorMessageLimit),
            RetryAfterSeconds = retryAfter,
            OccurredAt = DateTimeOffset.UtcNow,
        };
        args.RejectUnknown(2);

        await using (var broker = await BrokerConnection.OpenAsync(settings))
        {
            await broker.PublishAsync(EntityNames.FailureIntake, "", JsonSerializer.SerializeToUtf8Bytes(report, Output.JsonOptions),
                new BasicProperties { ContentType = "application/json", Persistent = true, MessageId = report.FailureId.ToString() });
        }

        if (args.Json)
            Output.Json(new { report.FailureId, report.AgentName, report.SubscriptionId, report.TokenFingerprint, report.Kind, exchange = EntityNames.FailureIntake });
        else
            Console.Out.WriteLine($"Reported failure {report.FailureId} of agent {agentName} ({args.Optional("kind")}) to {EntityNames.FailureIntake}.");
        return 0;
    }

    static T Parse<T>(string value, string option, string allowed) where T : struct, Enum =>
        Enum.TryParse<T>(value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
            ? parsed
            : throw new CliException($"{option} '{value}' is not one of {allowed}.");
}
