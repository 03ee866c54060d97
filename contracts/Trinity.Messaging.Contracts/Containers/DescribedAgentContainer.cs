namespace Trinity.Messaging.Contracts.Containers;

/// <summary>
/// A running container as the container manager sees it, for adoption: where its agent answers and the fingerprints
/// of the credentials it holds — never a credential. <see cref="Problem"/> says why it cannot be adopted, when it cannot.
/// </summary>
/// <param name="AgentName">The agent's name: the container's, without the reference platform's <c>agent-</c> prefix.</param>
/// <param name="OverrideFingerprint">Of the non-empty override file: what a hot-reload left live, which wins over the baked variable.</param>
/// <param name="BakedFingerprint">Of the token variable in the container's configuration.</param>
/// <param name="PlatformCredential">True when the container's configuration sets the platform API key.</param>
public sealed record DescribedAgentContainer(
    string ContainerName,
    string ContainerId,
    string? AgentName,
    string? BaseUrl,
    string? OverrideFingerprint,
    string? BakedFingerprint,
    bool PlatformCredential,
    string? Problem);
