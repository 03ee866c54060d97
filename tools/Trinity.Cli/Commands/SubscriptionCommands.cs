using System.Text.Json;
using Trinity.Cli.CommandLine;
using Trinity.Cli.Connections;

namespace Trinity.Cli.Commands;

/// <summary><c>subscriptions list|add|remove|enable</c> over the API. A token is read from <c>--token-file</c> (owner-only) or standard input, never from an argument.</summary>
public static class SubscriptionCommands
{
    public static async Task<int> ListAsync(CliArguments args, CliSettings settings)
    {
        args.RejectUnknown(2);
        using var api = Api(settings);
        var subscriptions = await api.GetAsync("api/subscriptions");
        if (args.Json)
            Output.Json(subscriptions);
        else
            Output.Table(["id", "name", "key", "fingerprint", "agents", "cooling down until", "disabled"], subscriptions.EnumerateArray().Select(s => new[]
            {
                Text(s, "id"), Text(s, "name"), Text(s, "keyVersion"), Text(s, "fingerprint"), Text(s, "agentCount"), Text(s, "cooldownUntil"),
                Text(s, "disabledAt") is { } at ? $"since {at}: {Text(s, "disabledReason")}" : null,
            }));
        return 0;
    }

    /// <summary>Adds a subscription, or gives an existing one a new token (a rollover that reaches every agent on it).</summary>
    public static async Task<int> AddAsync(CliArguments args, CliSettings settings)
    {
        var (name, tokenFile, type, tier) = (args.Required("name"), args.Optional("token-file"), args.Optional("type"), args.Optional("tier"));
        args.RejectUnknown(2);
        var token = tokenFile is not null ? SecretFile.Read(tokenFile, "the token") : SecretFile.ReadStandardInput("the token");
        var body = new { name, token, type, tier };
        using var api = Api(settings);
        var subscription = await api.PostAsync("api/subscriptions", body);
        if (args.Json)
            Output.Json(subscription);
        else
            Console.Out.WriteLine($"Subscription {Text(subscription, "name")} ({Text(subscription, "id")}): key version {Text(subscription, "keyVersion")}, fingerprint {Text(subscription, "fingerprint")}.");
        return 0;
    }

    public static async Task<int> RemoveAsync(CliArguments args, CliSettings settings)
    {
        var id = await ResolveAsync(args.Word(2, "the subscription (id or name)"), settings);
        args.RejectUnknown(3);
        using var api = Api(settings);
        await api.DeleteAsync($"api/subscriptions/{id}");
        if (args.Json)
            Output.Json(new { id, removed = true });
        else
            Console.Out.WriteLine($"Subscription {id} removed; its agents move to another subscription.");
        return 0;
    }

    /// <summary>Takes a subscription an authentication failure disabled back into use (rolling its key over does too).</summary>
    public static async Task<int> EnableAsync(CliArguments args, CliSettings settings)
    {
        var id = await ResolveAsync(args.Word(2, "the subscription (id or name)"), settings);
        args.RejectUnknown(3);
        using var api = Api(settings);
        var subscription = await api.PostAsync($"api/subscriptions/{id}/enable", new { });
        if (args.Json)
            Output.Json(subscription);
        else
            Console.Out.WriteLine($"Subscription {Text(subscription, "name")} ({id}) is enabled: agents may be moved onto it again.");
        return 0;
    }

    /// <summary>An id as it is, or a name looked up through the API.</summary>
    public static async Task<Guid> ResolveAsync(string idOrName, CliSettings settings)
    {
        if (Guid.TryParse(idOrName, out var id))
            return id;
        using var api = Api(settings);
        var match = (await api.GetAsync("api/subscriptions")).EnumerateArray()
            .FirstOrDefault(s => string.Equals(Text(s, "name"), idOrName, StringComparison.Ordinal));
        return match.ValueKind == JsonValueKind.Object
            ? match.GetProperty("id").GetGuid()
            : throw new CliException($"No subscription is named {idOrName}.");
    }

    internal static TrinityApi Api(CliSettings settings) => new(settings.ApiUrl, settings.AdminKey);

    internal static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind is not JsonValueKind.Null and not JsonValueKind.Undefined
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()
            : null;

    /// <summary>A subscription as an operator reads it: its name, and the start of its id beside it to match the logs and <c>--json</c>.</summary>
    internal static string? Named(JsonElement element, string name, string id) => (Text(element, name), Text(element, id)) switch
    {
        ({ } known, { } guid) => $"{known} ({guid[..Math.Min(8, guid.Length)]})",
        (null, { } guid) => guid,
        _ => null,
    };
}
