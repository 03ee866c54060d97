using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Trinity.Hosting;
using Trinity.Infrastructure;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.Orchestrator.Tests;

/// <summary>
/// The Orchestrator's own services (decisions, lifecycle, history, intake) wired as the service wires them, on the
/// real PostgreSQL database and Redis of <see cref="TrinityTestStores"/> — with MassTransit's in-memory bus in place
/// of the broker, so the specs run in seconds. What the outbox sends is what <see cref="Harness"/> saw published.
/// None of the Orchestrator's background services runs (the harness would start them): no relay can send what a
/// writer failed to, no deadline or reconcile pass acts behind a spec's back.
/// </summary>
public sealed class OrchestratorStores : TrinityTestStores
{
    ServiceProvider _provider = null!;

    public ITestHarness Harness { get; private set; } = null!;

    /// <summary>How long every publish on the in-memory bus takes: back-pressure from a slow broker.</summary>
    public TimeSpan PublishDelay { get; set; }

    /// <summary>
    /// Every publish of a deadline that went out, by rotation, counted as it leaves: the harness's own list keeps one
    /// entry per MessageId, so it cannot show a row sent twice.
    /// </summary>
    public System.Collections.Concurrent.ConcurrentDictionary<Guid, int> DeadlinesSent { get; } = new();

    /// <summary>The publish of a deadline of one of these rotations fails once, as a broker that refuses would make it.</summary>
    public HashSet<Guid> RefuseOnce { get; } = [];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Trinity:Postgres:ConnectionString"] = ConnectionString,
            ["Trinity:Redis:Password"] = Credentials.RedisPassword,
            ["Trinity:Redis:KeyPrefix"] = RedisKeyPrefix,
            ["Trinity:Outbox:PollInterval"] = "00:00:00.200",
            ["Trinity:Outbox:SenderTimeout"] = "00:00:02",
        }).Build();
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton(TimeProvider.System)
            .AddTrinityDatabase(configuration)
            .AddTrinityOutbox(configuration)
            .AddTrinityAgentLease(configuration)
            .AddOrchestrator(configuration)
            .AddTrinityFaultPoints(configuration);
        services.RemoveAll<IHostedService>();
        _provider = services.AddMassTransitTestHarness(bus => bus.UsingInMemory((context, memory) =>
            {
                memory.ConfigurePublish(publish => publish.UseExecuteAsync(async sending =>
                {
                    if (sending is PublishContext<RotationDeadlinePassed> deadline && RefuseOnce.Remove(deadline.Message.RotationId))
                        throw new InvalidOperationException("the broker refused the publish (the spec said so)");
                    await Task.Delay(PublishDelay);
                    if (sending is PublishContext<RotationDeadlinePassed> sent)
                        DeadlinesSent.AddOrUpdate(sent.Message.RotationId, 1, (_, n) => n + 1);
                }));
                memory.ConfigureEndpoints(context);
            }))
            .BuildServiceProvider(validateScopes: true);
        Harness = _provider.GetRequiredService<ITestHarness>();
        await Harness.Start();
    }

    public override async Task DisposeAsync()
    {
        await Harness.Stop();
        await _provider.DisposeAsync();
        await base.DisposeAsync();
    }

    /// <summary>The services of one message's scope, as a consume context would have them.</summary>
    public AsyncServiceScope NewScope() => _provider.CreateAsyncScope();

    public T GetRequiredService<T>()
        where T : notnull => _provider.GetRequiredService<T>();

    /// <summary>A subscription and an agent on it with names of their own, so specs of one class never choose each other's.</summary>
    public async Task<(Subscription Subscription, string Token)> NewSubscriptionAsync(string name)
    {
        var token = Canary.NewToken();
        return (await AddSubscriptionAsync($"{name}-{Guid.NewGuid():N}", token), token);
    }

    public static string NewAgentName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 33)];
}
