using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Trinity.Infrastructure.AgentNetwork;
using Trinity.Infrastructure.Persistence.Entities;
using Trinity.Messaging.Contracts.Messages;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Safety;

/// <summary>
/// The admin key cannot send an agent's tokens anywhere it likes: an agent server that answers a reload with a 307 to
/// another address is not followed there (.NET would POST the token again), and an address outside the agent network is
/// not connected to, whatever name led to it.
/// </summary>
public sealed class When_an_agent_address_points_elsewhere(When_an_agent_address_points_elsewhere.Scenario scenario)
    : IClassFixture<When_an_agent_address_points_elsewhere.Scenario>
{
    public sealed class Scenario : TrinityTestSystem
    {
        public string TokenB { get; } = Canary.NewToken();
        public Listener Redirector { get; private set; } = null!;
        public Listener Collector { get; private set; } = null!;
        public Rotation Rotation { get; private set; } = null!;

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            var a = await AddSubscriptionAsync("subscription-a", Canary.NewToken());
            await AddSubscriptionAsync("subscription-b", TokenB);
            Collector = Own(Listener.Start(_ => (HttpStatusCode.OK, null)));
            Redirector = Own(Listener.Start(_ => (HttpStatusCode.TemporaryRedirect, $"{Collector.BaseUrl}/api/credentials/reload-token")));
            await RegisterAgentAsync("detour", a.Id, Redirector.BaseUrl, "control-key-of-the-detour-agent");
            await StartObserverAsync();
            await StartOrchestratorAsync();
            await StartRotationWorkerAsync();

            await Observer.Publish(new ReportSubscriptionFailure
            {
                FailureId = Guid.NewGuid(), AgentName = "detour", SubscriptionId = a.Id, Kind = FailureKind.RateLimited, Source = FailureSource.Chat,
                StatusCode = 429, OccurredAt = DateTimeOffset.UtcNow,
            });
            Rotation = await Eventually.Until(async () => (await RotationsAsync("detour")).SingleOrDefault(r => r.Outcome != RotationOutcome.InProgress)!,
                r => r is not null, "the rotation of detour to end");
            await WaitUntilQuietAsync();
        }
    }

    [Fact]
    public void A_redirect_is_not_followed_and_the_rotation_fails_saying_what_the_agent_answered()
    {
        Assert.Equal(["POST /api/credentials/reload-token"], scenario.Redirector.Requests);
        Assert.Empty(scenario.Collector.Requests);
        Assert.Equal(RotationOutcome.Failed, scenario.Rotation.Outcome);
        Assert.Contains("307", scenario.Rotation.OutcomeDetail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task An_address_outside_the_allowed_networks_is_never_connected_to(string host)
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        var port = ((IPEndPoint)socket.LocalEndpoint).Port;
        var addresses = new AgentAddresses(new AgentNetworkOptions { AllowedHosts = "localhost", AllowedNetworks = "10.0.0.0/8" });
        using var http = new HttpClient(addresses.CreateHandler());

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => http.PostAsync($"http://{host}:{port}/api/credentials/reload-token", new StringContent("{}")));

        Assert.Contains("resolves to no address inside Trinity:AgentNetwork:AllowedNetworks", refused.Message, StringComparison.Ordinal);
        Assert.False(socket.Pending(), "nothing connected to the listener");
    }

    [Fact]
    public async Task A_name_that_resolves_to_several_addresses_is_tried_on_each_allowed_one()
    {
        // localhost is ::1 and 127.0.0.1; an agent listening on 127.0.0.1 alone is still reached.
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        var port = ((IPEndPoint)socket.LocalEndpoint).Port;
        using var http = new HttpClient(new AgentAddresses(new AgentNetworkOptions()).CreateHandler()) { Timeout = TimeSpan.FromSeconds(2) };

        var calling = http.GetAsync($"http://localhost:{port}/health");
        using var accepted = await socket.AcceptTcpClientAsync().WaitAsync(TimeSpan.FromSeconds(5));

        Assert.True(accepted.Connected);
        await Assert.ThrowsAnyAsync<Exception>(() => calling);
    }

    /// <summary>A loopback HTTP server that answers every request the same way and remembers what it was asked.</summary>
    public sealed class Listener : IDisposable
    {
        readonly HttpListener _http = new();
        readonly List<string> _requests = [];

        public string BaseUrl { get; private init; } = "";

        public IReadOnlyList<string> Requests
        {
            get
            {
                lock (_requests)
                    return [.. _requests];
            }
        }

        public static Listener Start(Func<HttpListenerRequest, (HttpStatusCode Status, string? Location)> answer)
        {
            var port = FreePort.Next();
            var listener = new Listener { BaseUrl = $"http://127.0.0.1:{port}" };
            listener._http.Prefixes.Add($"{listener.BaseUrl}/");
            listener._http.Start();
            _ = Task.Run(async () =>
            {
                while (listener._http.IsListening)
                {
                    HttpListenerContext context;
                    try
                    {
                        context = await listener._http.GetContextAsync();
                    }
                    catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                    {
                        return;
                    }
                    lock (listener._requests)
                        listener._requests.Add($"{context.Request.HttpMethod} {context.Request.Url!.AbsolutePath}");
                    var (status, location) = answer(context.Request);
                    context.Response.StatusCode = (int)status;
                    if (location is not null)
                        context.Response.RedirectLocation = location;
                    context.Response.Close();
                }
            });
            return listener;
        }

        public void Dispose() => _http.Close();
    }
}
