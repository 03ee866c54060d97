using Microsoft.EntityFrameworkCore;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Identity;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.WalkingSkeleton;

/// <summary>
/// Agent <c>alpha</c> (a real agent server process) on subscription A, with B available; fresh canary tokens
/// per run. Scenarios start the services they need and report a failure about A.
/// </summary>
public abstract class TwoSubscriptionsOneAgent : TrinityTestSystem
{
    public const string Agent = "alpha";

    public string TokenA { get; } = Canary.NewToken();
    public string TokenB { get; } = Canary.NewToken();
    public Subscription A { get; private set; } = null!;
    public Subscription B { get; private set; } = null!;
    public AgentServerProcess AgentServer { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        A = await AddSubscriptionAsync("subscription-a", TokenA);
        B = await AddSubscriptionAsync("subscription-b", TokenB);
        AgentServer = await StartAgentServerAsync(Agent, TokenA, A.Id);
        await StartObserverAsync();
    }

    public Task ReportRateLimitOnAAsync() => Observer.Publish(Failure(Agent, A.Id) with { ErrorMessage = "429 rate_limit_error" });

    public async Task<string?> StateOfAgentAsync()
    {
        await using var db = NewDbContext();
        return await db.AgentCredentialStates.Where(s => s.CorrelationId == AgentIdentity.For(Agent)).Select(s => s.CurrentState).SingleOrDefaultAsync();
    }

    public Task<List<Rotation>> RotationsAsync() => RotationsAsync(Agent);

    public Task WaitUntilAgentRunsAsync(string token) =>
        Eventually.Until(AgentServer.LiveCredentialAsync, live => live.Fingerprint == TokenFingerprint.Of(token), $"agent {Agent} to run {TokenFingerprint.Of(token)}");
}
