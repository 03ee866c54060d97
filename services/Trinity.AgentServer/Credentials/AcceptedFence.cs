using System.Globalization;

namespace Trinity.AgentServer.Credentials;

/// <summary>
/// The highest fencing token this agent has accepted a reload with, kept beside its override file so it survives a
/// restart, and given by the container manager to every container it creates or starts (<c>TRINITY_AGENT_FENCE</c>),
/// so a recreate cannot reset it. A reload with an older fence is refused: a late POST of rotation N never lands
/// after rotation N+1's (design §4 rule 5, checked by the agent itself).
/// </summary>
public sealed class AcceptedFence(OwnerOnlyFile file, long baked)
{
    readonly Lock _gate = new();
    long _highest = Math.Max(baked, long.TryParse(file.Read(), NumberStyles.None, CultureInfo.InvariantCulture, out var kept) ? kept : 0);

    public long Highest
    {
        get
        {
            lock (_gate)
                return _highest;
        }
    }

    /// <summary>
    /// Accepts <paramref name="offered"/> unless a higher one was accepted before; a caller that sends no fence (the
    /// reference platform's contract) is not fenced here. <paramref name="apply"/> runs inside the check, so two
    /// reloads can never interleave between the check and the swap.
    /// </summary>
    public bool TryAccept(long? offered, Action apply)
    {
        lock (_gate)
        {
            if (offered is { } fence && fence < _highest)
                return false;
            apply();
            if (offered is { } accepted && accepted > _highest)
            {
                file.Write(accepted.ToString(CultureInfo.InvariantCulture));
                _highest = accepted;
            }
            return true;
        }
    }
}
