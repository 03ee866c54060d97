using System.Text.RegularExpressions;
using System.Globalization;
using Docker.DotNet.Models;
using Trinity.AgentProtocol;
using Trinity.Messaging.Contracts.Containers;
using Trinity.Messaging.Contracts.Identity;

namespace Trinity.ContainerManager.Services;

/// <summary>
/// Running containers that something else started — the reference platform's <c>agent-{name}</c> — described for
/// adoption: where their agent answers, and the fingerprints of the credentials they hold (the override file first:
/// a hot-reload left it live). Reads only; a token never leaves this class, only its fingerprint.
/// </summary>
public sealed partial class AdoptableContainers(DockerAgentContainers containers)
{
    /// <summary>The reference platform's agent server port inside its container.</summary>
    public const int ReferencePort = 8000;
    const string ReferencePrefix = "agent-";

    public async Task<(List<DescribedAgentContainer> Found, List<string> NotFound)> DescribeAsync(IReadOnlyList<string> names, string? label,
        CancellationToken cancellationToken)
    {
        var found = new List<DescribedAgentContainer>();
        var notFound = new List<string>();
        var inspected = new List<ContainerInspectResponse>();
        if (label is not null)
            inspected.AddRange(await containers.RunningWithLabelAsync(label, cancellationToken));
        foreach (var name in names)
        {
            var container = await containers.InspectAsync(name, cancellationToken) ?? await containers.InspectAsync(ReferencePrefix + name, cancellationToken);
            if (container is null)
                notFound.Add(name);
            else
                inspected.Add(container);
        }
        foreach (var container in inspected.DistinctBy(c => c.ID))
            found.Add(await DescribeAsync(container, cancellationToken));
        return (found, notFound);
    }

    async Task<DescribedAgentContainer> DescribeAsync(ContainerInspectResponse container, CancellationToken cancellationToken)
    {
        var name = container.Name.TrimStart('/');
        var environment = Environment(container);
        var (baseUrl, addressProblem) = BaseUrlOf(container, environment);
        var named = AgentName.TryNormalize(name.StartsWith(ReferencePrefix, StringComparison.Ordinal) ? name[ReferencePrefix.Length..] : name, out var agentName);
        var problem = !container.State.Running ? "the container is not running"
            : !named ? $"{name} does not make an agent name (a DNS label)"
            : addressProblem;
        var rotated = container.State.Running ? await containers.ReadFileAsync(container.ID, AgentVariables.OverrideFile, cancellationToken) : null;
        return new DescribedAgentContainer(
            name,
            container.ID,
            named ? agentName : null,
            baseUrl,
            string.IsNullOrWhiteSpace(rotated) ? null : TokenFingerprint.Of(rotated.Trim()),
            environment.GetValueOrDefault(AgentVariables.Token) is { Length: > 0 } baked ? TokenFingerprint.Of(baked.Trim()) : null,
            environment.GetValueOrDefault(AgentVariables.ApiKey) is { Length: > 0 },
            problem);
    }

    /// <summary>
    /// Host networking: the agent's own loopback port (<c>AGENT_PORT</c>, else the port of <c>ASPNETCORE_URLS</c>, else 8000);
    /// a Docker network: <c>http://{container-name}:8000</c>, as the reference platform reaches it. The default bridge has no
    /// names to reach a container by, and its addresses are not this system's to call.
    /// </summary>
    public static (string? BaseUrl, string? Problem) BaseUrlOf(ContainerInspectResponse container, IReadOnlyDictionary<string, string> environment)
    {
        var mode = container.HostConfig?.NetworkMode;
        if (mode == "host")
        {
            var port = environment.GetValueOrDefault("AGENT_PORT") is { } agentPort && int.TryParse(agentPort, NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p
                : environment.GetValueOrDefault("ASPNETCORE_URLS") is { } urls && Uri.TryCreate(Wildcard().Replace(urls.Split(';')[0], "${scheme}localhost"), UriKind.Absolute, out var uri) ? uri.Port
                : ReferencePort;
            return ($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", null);
        }
        if (mode is null or "" or "default" or "bridge" || mode.StartsWith("container:", StringComparison.Ordinal) || mode == "none")
            return (null, $"network mode {(string.IsNullOrEmpty(mode) ? "default" : mode)}: the agent cannot be reached by name");
        return ($"http://{container.Name.TrimStart('/')}:{ReferencePort.ToString(CultureInfo.InvariantCulture)}", null);
    }

    public static Dictionary<string, string> Environment(ContainerInspectResponse container) =>
        (container.Config?.Env ?? []).Select(entry => entry.Split('=', 2)).Where(pair => pair.Length == 2)
            .GroupBy(pair => pair[0], StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.Ordinal);

    /// <summary>Kestrel's any-address forms (<c>http://+:N</c>, <c>http://*:N</c>), which are no URI.</summary>
    [GeneratedRegex(@"^(?<scheme>https?://)[+*](?=:)")]
    private static partial Regex Wildcard();
}
