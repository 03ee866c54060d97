using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Trinity.Infrastructure.Persistence;
using Trinity.Infrastructure.Persistence.Sagas;
using Trinity.Infrastructure.SagaRepository;
using Trinity.Orchestrator.Background;
using Trinity.Orchestrator.Configuration;
using Trinity.Orchestrator.FanOut;
using Trinity.Orchestrator.History;
using Trinity.Orchestrator.Intake;
using Trinity.Orchestrator.Rotations;
using Trinity.Orchestrator.StateMachines;

namespace Trinity.Orchestrator;

public static class OrchestratorRegistration
{
    public static IServiceCollection AddOrchestrator(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OrchestratorOptions>().Bind(configuration.GetSection(OrchestratorOptions.Section))
            .Validate(o => o.HistoryRetention >= SubscriptionCooldown.LongestRetryAfter,
                $"Trinity:Orchestrator:HistoryRetention must be at least {SubscriptionCooldown.LongestRetryAfter.TotalDays} days: a cooldown may last that long")
            .Validate(o => o.GaugeInterval > TimeSpan.Zero, "Trinity:Orchestrator:GaugeInterval must be positive (e.g. 00:00:15)")
            .ValidateOnStart();
        services.AddScoped<FailureHistory>();
        services.AddScoped<HistoryPruning>();
        services.AddScoped<RotationHistory>();
        services.AddScoped<SubscriptionSelector>();
        services.AddScoped<AgentLock>();
        services.AddScoped<RotationLifecycle>();
        services.AddScoped<IRotationLifecycle>(provider => provider.GetRequiredService<RotationLifecycle>());
        services.AddScoped<FailureDecisions>();
        services.AddScoped<IRotationDecisions, RotationDecisions>();
        services.AddSingleton<FailureIntake>();
        services.AddHostedService(provider => provider.GetRequiredService<FailureIntake>());
        services.AddHostedService<DeadlineEnforcer>();
        services.AddHostedService<Reconciler>();
        services.AddHostedService<FleetGauges>();
        services.AddHostedService<RecheckScheduler>();
        services.AddHostedService<HistoryRetention>();
        return services;
    }

    public static void AddOrchestratorEndpoints(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<FailureIntakeConsumer, FailureIntakeConsumerDefinition>();
        bus.AddReceiveObserver<IntakeRejectCounter>();
        bus.AddConsumer<SubscriptionChangeFanOut, SubscriptionChangeFanOutDefinition>();
        bus.AddSagaStateMachine<AgentCredentialStateMachine, AgentCredentialState, AgentCredentialStateDefinition>()
            .Repository(repository => repository.RegisterSagaRepository<AgentCredentialState, TrinityDbContext,
                SagaConsumeContextFactory<TrinityDbContext, AgentCredentialState>,
                PostgresSagaRepositoryContextFactory<AgentCredentialState>>());
    }
}
