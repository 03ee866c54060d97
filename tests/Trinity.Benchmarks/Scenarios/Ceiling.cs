using MassTransit;
using Npgsql;
using Trinity.Testing;

namespace Trinity.Benchmarks.Scenarios;

/// <summary>
/// What this machine can do at most for this pipeline, measured the same way the services use it: the broker's
/// publish → consume rate (MassTransit, durable, publisher confirms) and PostgreSQL's commit rate for the
/// transaction shape of a state-machine step (SELECT … FOR UPDATE, UPDATE, INSERT).
/// </summary>
public static class Ceiling
{
    public sealed record CeilingPing(int Sequence);

    public static Task RunAsync(int messages, TimeSpan databaseWindow) => BenchmarkSystem.RunAsync(async system =>
    {
        var broker = await BrokerAsync(system, messages);
        var database = await DatabaseAsync(system, databaseWindow);
        BenchmarkReport.Write("ceiling", $"""
                ## 4. The ceiling

                `./trinity bench ceiling` — the same machine's bound for this pipeline, measured in the same way the services work.

                | what | measured |
                |---|---|
                | RabbitMQ: MassTransit publish → consume, durable, confirms, {messages} messages, 64 publishes in flight | **{Measure.Number(broker)} messages/s** |
                | PostgreSQL: `SELECT … FOR UPDATE` + `UPDATE` + `INSERT` per transaction, 16 connections, {databaseWindow.TotalSeconds} s | **{Measure.Number(database)} commits/s** |
                """);
    });

    static async Task<double> BrokerAsync(BenchmarkSystem system, int messages)
    {
        var consumed = 0;
        var done = new TaskCompletionSource();
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host("127.0.0.1", (ushort)system.Broker.Port, system.VirtualHost, host =>
            {
                host.Username(system.Broker.User);
                host.Password(system.Broker.Password);
            });
            rabbit.ReceiveEndpoint("bench.ceiling", endpoint => endpoint.Handler<CeilingPing>(_ =>
            {
                if (Interlocked.Increment(ref consumed) == messages)
                    done.TrySetResult();
                return Task.CompletedTask;
            }));
        });
        await bus.StartAsync();
        try
        {
            var start = Measure.Now();
            await Parallel.ForEachAsync(Enumerable.Range(0, messages), new ParallelOptions { MaxDegreeOfParallelism = 64 },
                async (i, cancellationToken) => await bus.Publish(new CeilingPing(i), cancellationToken));
            await done.Task.WaitAsync(TimeSpan.FromMinutes(2));
            return messages / (Measure.Milliseconds(start, Measure.Now()) / 1000);
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    static async Task<double> DatabaseAsync(BenchmarkSystem system, TimeSpan window)
    {
        var connectionString = system.ConnectionString + ";SSL Mode=Disable;Maximum Pool Size=32";
        await using (var setup = new NpgsqlConnection(connectionString))
        {
            await setup.OpenAsync();
            await using var create = new NpgsqlCommand(
                "CREATE TABLE bench_state (id int PRIMARY KEY, n bigint NOT NULL); CREATE TABLE bench_log (id bigserial PRIMARY KEY, state int NOT NULL, at timestamptz NOT NULL);"
                + "INSERT INTO bench_state SELECT g, 0 FROM generate_series(1, 500) g;", setup);
            await create.ExecuteNonQueryAsync();
        }
        var commits = 0;
        var start = Measure.Now();
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async worker =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            var random = new Random(worker);
            while (Measure.Milliseconds(start, Measure.Now()) < window.TotalMilliseconds)
            {
                var id = random.Next(1, 501);
                await using var transaction = await connection.BeginTransactionAsync();
                await using var batch = new NpgsqlBatch(connection, transaction)
                {
                    BatchCommands =
                    {
                        new NpgsqlBatchCommand("SELECT n FROM bench_state WHERE id = $1 FOR UPDATE") { Parameters = { new NpgsqlParameter { Value = id } } },
                        new NpgsqlBatchCommand("UPDATE bench_state SET n = n + 1 WHERE id = $1") { Parameters = { new NpgsqlParameter { Value = id } } },
                        new NpgsqlBatchCommand("INSERT INTO bench_log (state, at) VALUES ($1, now())") { Parameters = { new NpgsqlParameter { Value = id } } },
                    },
                };
                await batch.ExecuteNonQueryAsync();
                await transaction.CommitAsync();
                Interlocked.Increment(ref commits);
            }
        }));
        return commits / (Measure.Milliseconds(start, Measure.Now()) / 1000);
    }
}
