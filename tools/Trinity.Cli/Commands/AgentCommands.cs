using System.Text.Json;
using Trinity.Cli.CommandLine;
using Trinity.Cli.Connections;
using static Trinity.Cli.Commands.SubscriptionCommands;

namespace Trinity.Cli.Commands;

/// <summary><c>agents list|show|register|reassign|retry|move|remove</c> and <c>rotations</c>, over the API.</summary>
public static class AgentCommands
{
    public static async Task<int> ListAsync(CliArguments args, CliSettings settings)
    {
        args.RejectUnknown(2);
        using var api = Api(settings);
        var agents = await api.GetAsync("api/agents");
        if (args.Json)
            Output.Json(agents);
        else
            Output.Table(["name", "kind", "auth", "subscription", "state", "in sync", "verified", "agent key", "host", "container"], agents.EnumerateArray().Select(a => new[]
            {
                Text(a, "name"), Text(a, "kind"), Text(a, "authMode"), Named(a, "subscriptionName", "subscriptionId"), Text(a, "state"), Text(a, "inSync"), Text(a, "verification"),
                KeyRequired(a), Text(a, "host"), Short(Text(a, "containerId")),
            }));
        return 0;
    }

    public static async Task<int> ShowAsync(CliArguments args, CliSettings settings)
    {
        var name = args.Word(2, "the agent's name");
        args.RejectUnknown(3);
        using var api = Api(settings);
        var agent = await api.GetAsync($"api/agents/{Uri.EscapeDataString(name)}");
        if (args.Json)
        {
            Output.Json(agent);
            return 0;
        }
        var last = agent.TryGetProperty("lastRotation", out var rotation) && rotation.ValueKind == JsonValueKind.Object ? rotation : (JsonElement?)null;
        Output.Table(["field", "value"], new[]
        {
            new[] { "name", Text(agent, "name") },
            ["kind", Text(agent, "kind")],
            ["auth mode", Text(agent, "authMode")],
            ["agent key", KeyRequired(agent)],
            ["verification", Text(agent, "verification")],
            ["subscription", Named(agent, "subscriptionName", "subscriptionId")],
            ["state", Text(agent, "state")],
            ["in sync", Text(agent, "inSync")],
            ["docker host", Text(agent, "host")],
            ["base url", Text(agent, "baseUrl")],
            ["container", Short(Text(agent, "containerId"))],
            ["live fingerprint", Text(agent, "liveFingerprint")],
            ["failed attempts", Text(agent, "failedAttempts")],
            ["next attempt", Text(agent, "nextAttemptAt")],
            ["last failure", Text(agent, "lastFailure")],
            ["last rotation", last is { } r
                ? $"{Text(r, "trigger")} by {Text(r, "method") ?? "-"} from {Named(r, "fromName", "from") ?? "-"} to {Named(r, "toName", "to") ?? "-"}: {Text(r, "outcome")} at {Text(r, "completedAt") ?? Text(r, "startedAt")}"
                : null],
        });
        return 0;
    }

    /// <summary>Registers the agent and has its container created and started — or, <c>--unmanaged</c> (or when an agent answers at its base URL already), only reloaded.</summary>
    public static async Task<int> RegisterAsync(CliArguments args, CliSettings settings)
    {
        var name = args.Required("name");
        var subscription = args.Optional("subscription");
        var useApiKey = args.Flag("api-key");
        var baseUrl = args.Optional("base-url");
        bool? unmanaged = args.Flag("unmanaged") ? true : null;
        var host = args.Optional("host");
        args.RejectUnknown(2);
        var subscriptionId = subscription is null ? (Guid?)null : await ResolveAsync(subscription, settings);
        using var api = Api(settings);
        var registered = await api.PostAsync("api/agents", new { name, subscriptionId, useApiKey, baseUrl, unmanaged, host });
        if (args.Json)
            Output.Json(registered);
        else if (Text(registered, "kind") == "unmanaged")
            Console.Out.WriteLine($"Agent {name} registered unmanaged at {baseUrl}: it is reloaded there, never started or recreated (agent key: {KeyRequired(registered)}).");
        else
            Console.Out.WriteLine($"Agent {name} registered on Docker host {Text(registered, "host")}; its container is being started.");
        return 0;
    }

    /// <summary>Moves a managed agent's container to another Docker host: drained and removed where it is, started there.</summary>
    public static async Task<int> MoveAsync(CliArguments args, CliSettings settings)
    {
        var name = args.Word(2, "the agent's name");
        var host = args.Required("host");
        args.RejectUnknown(3);
        using var api = Api(settings);
        var accepted = await api.PostAsync($"api/agents/{Uri.EscapeDataString(name)}/move", new { host });
        if (args.Json)
            Output.Json(accepted);
        else
            Console.Out.WriteLine($"Move of {name} from {Text(accepted, "from")} to {Text(accepted, "to")} accepted: {Text(accepted, "workspace")}");
        return 0;
    }

    /// <summary>Moves the agent to another subscription, or (<c>--api-key</c>) out of subscription mode.</summary>
    public static async Task<int> ReassignAsync(CliArguments args, CliSettings settings)
    {
        var name = args.Word(2, "the agent's name");
        var subscription = args.Optional("subscription");
        var leave = args.Flag("api-key");
        if ((subscription is null) == !leave)
            throw new CliException("Give --subscription (id or name), or --api-key to leave subscription mode.");
        args.RejectUnknown(3);
        var subscriptionId = subscription is null ? (Guid?)null : await ResolveAsync(subscription, settings);
        using var api = Api(settings);
        var accepted = await api.PutAsync($"api/agents/{Uri.EscapeDataString(name)}/subscription", new { subscriptionId });
        if (args.Json)
            Output.Json(accepted);
        else
            Console.Out.WriteLine($"Reassignment of {name} accepted (request {Text(accepted, "requestId")}); follow it with `./trinity rotations --agent {name}`.");
        return 0;
    }

    /// <summary>Tries an agent whose rotations keep failing again now, instead of at the end of its back-off.</summary>
    public static async Task<int> RetryAsync(CliArguments args, CliSettings settings)
    {
        var name = args.Word(2, "the agent's name");
        args.RejectUnknown(3);
        using var api = Api(settings);
        var accepted = await api.PostAsync($"api/agents/{Uri.EscapeDataString(name)}/retry", new { });
        if (args.Json)
            Output.Json(accepted);
        else
            Console.Out.WriteLine($"Agent {name} will be tried again now; follow it with `./trinity rotations --agent {name}`.");
        return 0;
    }

    public static async Task<int> RemoveAsync(CliArguments args, CliSettings settings)
    {
        var name = args.Word(2, "the agent's name");
        args.RejectUnknown(3);
        using var api = Api(settings);
        var accepted = await api.DeleteAsync($"api/agents/{Uri.EscapeDataString(name)}");
        if (args.Json)
            Output.Json(accepted);
        else
            Console.Out.WriteLine($"Agent {name} deleted: its container is drained and removed; follow it with `./trinity rotations --agent {name}`.");
        return 0;
    }

    public static async Task<int> RotationsAsync(CliArguments args, CliSettings settings)
    {
        var agent = args.Optional("agent");
        args.RejectUnknown(1);
        using var api = Api(settings);
        var rotations = await api.GetAsync(agent is null ? "api/rotations" : $"api/rotations?agent={Uri.EscapeDataString(agent)}");
        if (args.Json)
            Output.Json(rotations);
        else
            Output.Table(["started", "agent", "trigger", "method", "outcome", "verified", "from", "to", "reason", "trace"], rotations.EnumerateArray().Select(r => new[]
            {
                Text(r, "startedAt"), Text(r, "agentName"), Text(r, "trigger"), Text(r, "method"), Text(r, "outcome"), Text(r, "verification"),
                Named(r, "fromName", "from"), Named(r, "toName", "to"), Text(r, "reason"), Text(r, "traceId"),
            }));
        return 0;
    }

    /// <summary>Whether the agent asks for a key before it reads a reload (the reference agent does not).</summary>
    static string KeyRequired(JsonElement agent) => Text(agent, "authenticated") switch { "true" => "required", "false" => "none", _ => "unknown" };

    static string? Short(string? containerId) => containerId?[..Math.Min(12, containerId.Length)];
}
