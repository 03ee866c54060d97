using System.Diagnostics;
using Trinity.Cli.CommandLine;
using Trinity.Cli.Connections;
using static Trinity.Cli.Commands.SubscriptionCommands;

namespace Trinity.Cli.Commands;

/// <summary><c>agents adopt NAME… | --label KEY=VALUE [--host HOST] [--dry-run]</c>: running containers something else started, registered without creating any.</summary>
public static class AdoptionCommands
{
    public static async Task<int> AdoptAsync(CliArguments args, CliSettings settings)
    {
        var label = args.Optional("label");
        var dryRun = args.Flag("dry-run");
        var host = args.Optional("host");
        var names = args.Words.Skip(2).ToList();
        if ((names.Count == 0) == (label is null))
            throw new CliException("Give container names, or --label KEY=VALUE, not both.");
        args.RejectUnknown(2 + names.Count);
        using var api = Api(settings);
        var took = Stopwatch.StartNew();
        var answer = await api.PostAsync("api/agents/adopt", new { names, label, dryRun, host });
        took.Stop();
        var containers = answer.GetProperty("containers").EnumerateArray().ToList();
        if (args.Json)
            Output.Json(answer);
        else
        {
            Output.Table(["container", "agent", "outcome", "auth", "subscription", "key", "base url", "reason"], containers.Select(c => new[]
            {
                Text(c, "container"), Text(c, "agent"), Text(c, "outcome"), Text(c, "authMode"), Named(c, "subscription", "subscriptionId"), Text(c, "keyVersion"), Text(c, "baseUrl"), Text(c, "reason"),
            }));
            var counts = containers.GroupBy(c => Text(c, "outcome")).Select(g => $"{g.Count()} {g.Key}");
            Console.Out.WriteLine($"{(dryRun ? "Dry run, nothing changed: " : "")}{string.Join(", ", counts)} in {took.Elapsed.TotalSeconds:0.00} s.");
        }
        // A refusal is an error the operator acts on; what was adopted beside it stays adopted.
        return containers.Any(c => Text(c, "outcome") == "refused") ? 1 : 0;
    }
}
