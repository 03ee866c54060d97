using System.Net;
using System.Net.Sockets;

namespace Trinity.Testing;

public static class FreePort
{
    // Below the kernel's ephemeral range (32768-60999 here), which services that bind port 0 and every outgoing
    // connection draw from: a port handed out here cannot be taken by one of those before its user binds it.
    const int First = 20000, Last = 32000;
    static int _next = First + Random.Shared.Next(Last - First);

    /// <summary>A loopback port nothing listens on right now, outside the ephemeral range; each call a different one.</summary>
    public static int Next()
    {
        for (var attempt = 0; attempt < Last - First; attempt++)
        {
            var port = First + (Interlocked.Increment(ref _next) - First) % (Last - First);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // taken: try the next
            }
        }
        throw new InvalidOperationException($"No free loopback port between {First} and {Last}.");
    }
}
