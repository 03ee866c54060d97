using System.Net;
using System.Net.Sockets;

namespace Trinity.Testing;

public static class FreePort
{
    /// <summary>A loopback port nothing listens on right now (the kernel's choice, so parallel classes do not collide).</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
