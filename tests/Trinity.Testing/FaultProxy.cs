using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Trinity.Testing;

/// <summary>
/// A TCP proxy of the test's own on a free loopback port, in front of an agent server: it forwards bytes both ways
/// and, where a rule says, holds back a request whose request line matches (an agent that answers late, a request
/// that lands after a newer one), answers it itself (a route the agent lacks) or resets the connection — before the
/// request reaches the agent, or after the agent handled it, in place of its answer. Rules apply to each request read
/// from the client, keep-alive included.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    readonly TcpListener _listener;
    readonly int _targetPort;
    readonly CancellationTokenSource _stop = new();
    readonly ConcurrentQueue<(string Match, TimeSpan Delay)> _delays = new();
    ImmutableList<(string Match, int Status)> _answers = [];
    readonly ConcurrentQueue<(string Match, bool AfterTheAgent)> _resets = new();
    readonly ConcurrentQueue<string> _seen = new();
    readonly Task _accepting;
    int _resetCount;

    FaultProxy(int port, int targetPort)
    {
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
        Port = port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }
    public string BaseUrl => $"http://127.0.0.1:{Port}";

    /// <summary>The request lines that went through, in order.</summary>
    public IReadOnlyCollection<string> RequestLines => _seen;

    public static FaultProxy Start(int targetPort) => new(FreePort.Next(), targetPort);

    /// <summary>Holds the next request whose request line contains <paramref name="match"/> for <paramref name="delay"/> before forwarding it.</summary>
    public void DelayNext(string match, TimeSpan delay) => _delays.Enqueue((match, delay));

    /// <summary>
    /// Answers every request whose request line contains <paramref name="match"/> with <paramref name="status"/>
    /// itself, as a server without that route would, until the rule returned is disposed.
    /// </summary>
    public IDisposable Answer(string match, int status)
    {
        var rule = (match, status);
        ImmutableInterlocked.Update(ref _answers, rules => rules.Add(rule));
        return new Rule(() => ImmutableInterlocked.Update(ref _answers, rules => rules.Remove(rule)));
    }

    sealed class Rule(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }

    /// <summary>
    /// Resets (TCP RST) the connection of the next request whose request line contains <paramref name="match"/>: at
    /// once, so the agent never sees it, or — <paramref name="afterTheAgent"/> — once the agent answered, so the
    /// agent did the work and the caller never hears it.
    /// </summary>
    public void ResetNext(string match, bool afterTheAgent) => _resets.Enqueue((match, afterTheAgent));

    /// <summary>How many connections a reset rule cut.</summary>
    public int Resets => _resetCount;

    async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            _ = RelayAsync(client);
        }
    }

    async Task RelayAsync(TcpClient client)
    {
        using var _ = client;
        using var target = new TcpClient();
        try
        {
            await target.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            var connection = new Connection(client);
            var toTarget = PumpAsync(client.GetStream(), target.GetStream(), connection);
            var toClient = PumpAsync(target.GetStream(), client.GetStream(), connection: null, answering: connection);
            await Task.WhenAny(toTarget, toClient);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
        {
            // A connection closed by either side, or the proxy stopping.
        }
    }

    /// <summary>The client side of one relayed connection, and whether the agent's next answer must be replaced by a reset.</summary>
    sealed class Connection(TcpClient client)
    {
        public volatile bool ResetOnAnswer;

        public void Reset()
        {
            client.Client.LingerState = new LingerOption(enable: true, seconds: 0);
            client.Client.Close();
        }
    }

    /// <summary>Client to agent when <paramref name="connection"/> is set (requests are inspected); agent to client when <paramref name="answering"/> is.</summary>
    async Task PumpAsync(NetworkStream from, NetworkStream to, Connection? connection, Connection? answering = null)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            if (answering is { ResetOnAnswer: true })
            {
                Interlocked.Increment(ref _resetCount);
                answering.Reset();
                return;
            }
            if (connection is not null && RequestLine(buffer, read) is { } line)
            {
                _seen.Enqueue(line);
                if (_resets.TryPeek(out var reset) && line.Contains(reset.Match, StringComparison.Ordinal) && _resets.TryDequeue(out reset))
                {
                    if (!reset.AfterTheAgent)
                    {
                        Interlocked.Increment(ref _resetCount);
                        connection.Reset();
                        return;
                    }
                    connection.ResetOnAnswer = true;
                }
                if (Volatile.Read(ref _answers).FirstOrDefault(a => line.Contains(a.Match, StringComparison.Ordinal)) is { Match: not null } answer)
                {
                    await from.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {answer.Status} Answered by the fault proxy\r\nContent-Length: 0\r\n\r\n"), _stop.Token);
                    continue;
                }
                if (_delays.TryPeek(out var rule) && line.Contains(rule.Match, StringComparison.Ordinal) && _delays.TryDequeue(out rule))
                    await Task.Delay(rule.Delay, _stop.Token);
            }
            await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
        }
    }

    static string? RequestLine(byte[] buffer, int length)
    {
        var text = Encoding.ASCII.GetString(buffer, 0, Math.Min(length, 256));
        var end = text.IndexOf("\r\n", StringComparison.Ordinal);
        return end > 0 && text.Contains(" HTTP/1.", StringComparison.Ordinal) ? text[..end] : null;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
