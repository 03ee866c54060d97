using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Trinity.AgentServer.Security;

/// <summary>
/// Turns run as the server's own user, so without this a turn could read the server's secrets through
/// <c>/proc/&lt;server&gt;/environ</c> (the environment the container started with: the control key and the first token,
/// still there after every switch), <c>/proc/&lt;server&gt;/mem</c>, or by attaching with ptrace. A process that is not
/// dumpable has its <c>/proc</c> entries owned by root and refuses ptrace from any process of the same user; it stays
/// so until it execs, which the server never does (a turn it starts is dumpable again, and holds only its own token).
/// </summary>
public static partial class NonDumpable
{
    const int PrSetDumpable = 4;

    public static void Apply()
    {
        if (Prctl(PrSetDumpable, 0, 0, 0, 0) != 0)
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "prctl(PR_SET_DUMPABLE, 0) failed: the agent server will not run with its secrets readable by its turns.");
    }

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int Prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
}
