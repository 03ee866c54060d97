using Trinity.Cli.Commands;
using Trinity.Cli.CommandLine;
using Trinity.Cli.Connections;

const string Usage = """
    trinity — operate Trinity.Messaging from a shell. Tables for people; add --json for scripts.

      failures report --agent NAME --kind rate-limited|authentication-failed|quota-exhausted
                      --source schedule|chat (--subscription ID|NAME | --fingerprint HEX12)
                      [--execution ID] [--retry-after SECONDS] [--message TEXT]
      subscriptions list
      subscriptions add --name NAME [--type T] [--tier T] [--token-file FILE]   (else the token is read from standard input)
      subscriptions remove ID|NAME
      subscriptions enable ID|NAME   (after an authentication failure disabled it; a new key does too)
      agents list
      agents show NAME
      agents register --name NAME [--subscription ID|NAME | --api-key] [--base-url URL [--unmanaged]] [--host HOST]
      agents adopt NAME… | --label KEY=VALUE [--host HOST] [--dry-run]   (running containers something else started; none is created)
      agents reassign NAME (--subscription ID|NAME | --api-key)
      agents retry NAME          (now, instead of at the end of its back-off)
      agents move NAME --host HOST   (to another Docker host: drained, removed, started there; its workspace volume stays behind)
      agents remove NAME         (drains and removes its container; the name can be registered again after)
      rotations [--agent NAME]
      bus queues
      bus errors QUEUE [--limit N]
      bus replay QUEUE
      bus outbox                 (messages committed and not yet sent; those that never can be, with why)
      bench [all|hot-reload|burst|rollover|ceiling]   (writes docs/benchmarks.md; see docs/benchmarks.md)

    Where it connects: TRINITY_API_URL and TRINITY_ADMIN_KEY (or TRINITY_ADMIN_KEY_FILE), TRINITY_RABBITMQ_VHOST,
    TRINITY_RABBITMQ_USER and TRINITY_RABBITMQ_PASSWORD — from the environment, else from ~/.trinity/up.env
    (`make up`) and ~/.trinity/local.env (`make services`).
    """;

var arguments = new CliArguments(args);
var command = string.Join(' ', arguments.Words.Take(2));
Func<CliArguments, CliSettings, Task<int>>? run = command switch
{
    "failures report" => FailureCommands.ReportAsync,
    "subscriptions list" => SubscriptionCommands.ListAsync,
    "subscriptions add" => SubscriptionCommands.AddAsync,
    "subscriptions remove" => SubscriptionCommands.RemoveAsync,
    "subscriptions enable" => SubscriptionCommands.EnableAsync,
    "agents list" => AgentCommands.ListAsync,
    "agents show" => AgentCommands.ShowAsync,
    "agents register" => AgentCommands.RegisterAsync,
    "agents adopt" => AdoptionCommands.AdoptAsync,
    "agents reassign" => AgentCommands.ReassignAsync,
    "agents retry" => AgentCommands.RetryAsync,
    "agents move" => AgentCommands.MoveAsync,
    "agents remove" => AgentCommands.RemoveAsync,
    "bus queues" => BusCommands.QueuesAsync,
    "bus errors" => BusCommands.ErrorsAsync,
    "bus replay" => BusCommands.ReplayAsync,
    "bus outbox" => BusCommands.OutboxAsync,
    _ when arguments.Words is ["rotations", ..] => AgentCommands.RotationsAsync,
    _ => null,
};

if (arguments.Flag("help") || arguments.Words is [] or ["help", ..])
{
    Console.Out.WriteLine(Usage);
    return 0;
}
if (run is null)
{
    Console.Error.WriteLine($"trinity: unknown command '{command}' (./trinity help lists them).");
    return 2;
}

try
{
    return await run(arguments, new CliSettings());
}
catch (CliException ex)
{
    Console.Error.WriteLine($"trinity: {ex.Message}");
    return ex.ExitCode;
}
