using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Trinity.Testing;

namespace Trinity.Architecture.Tests;

/// <summary>
/// What keeps the code base one a newcomer can carry on: no namespace that depends on itself through another,
/// an agent server that ships without the bus, the database or the lock, one way to send from the outbox, and no
/// hand-written file too long to read at once.
/// </summary>
public sealed partial class The_code_base
{
    const int LongestFile = 300;
    static readonly string[] SourceFolders = ["contracts", "services", "tools", "tests"];

    public static TheoryData<string> Assemblies() => new(
        "Trinity.Messaging.Contracts", "Trinity.Hosting", "Trinity.Infrastructure", "Trinity.Migrator", "Trinity.Orchestrator",
        "Trinity.RotationWorker", "Trinity.ContainerManager", "Trinity.Api", "Trinity.AgentServer", "trinity");

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void No_namespace_depends_on_itself_through_another(string assembly)
    {
        var graph = NamespaceGraph.Of(Load(assembly));
        Assert.True(graph.Edges.Count > 0 || assembly == "Trinity.Migrator", $"{assembly}: no dependency between its namespaces was read at all: the check would prove nothing");
        Assert.True(graph.Unresolved.Count == 0, $"{assembly}: tokens that could not be read, so edges may be missing:\n{string.Join("\n", graph.Unresolved.Take(10))}");
        var cycles = graph.Cycles();
        Assert.True(cycles.Count == 0, string.Join("\n", cycles.Select(cycle => $"{assembly}: {string.Join(" ↔ ", cycle)}: " +
            string.Join("; ", cycle.SelectMany(from => cycle.Where(to => graph.Edges.GetValueOrDefault(from)?.ContainsKey(to) == true)
                .Select(to => $"{from} → {to} ({graph.Edges[from][to]})"))))));
    }

    [Fact]
    public void The_checker_sees_a_cycle_between_two_namespaces()
    {
        // This test assembly holds three on purpose (Seeded/SeededCycle.cs): the checker must report each.
        var cycles = NamespaceGraph.Of(typeof(The_code_base).Assembly).Cycles();
        Assert.Contains(cycles, cycle => cycle.SequenceEqual(["Trinity.Architecture.Tests.Seeded.Outer", "Trinity.Architecture.Tests.Seeded.Outer.Inner"]));
        Assert.Contains(cycles, cycle => cycle.SequenceEqual(["Trinity.Architecture.Tests.Seeded.Marked", "Trinity.Architecture.Tests.Seeded.Marking"]));
        Assert.Contains(cycles, cycle => cycle.SequenceEqual(["Trinity.Architecture.Tests.Seeded.Bound", "Trinity.Architecture.Tests.Seeded.Bounding"]));
    }

    [Fact]
    public void The_agent_server_ships_without_the_bus_the_database_or_the_lock()
    {
        var depsFile = Path.ChangeExtension(RepositoryPaths.ServiceAssembly("Trinity.AgentServer"), ".deps.json");
        using var deps = JsonDocument.Parse(File.ReadAllText(depsFile));
        var libraries = deps.RootElement.GetProperty("libraries").EnumerateObject().Select(l => l.Name.Split('/')[0]).ToList();
        Assert.Contains("Trinity.Hosting", libraries);
        var forbidden = libraries.Where(name => name is "Trinity.Infrastructure" or "MassTransit" or "MassTransit.RabbitMQ" or "StackExchange.Redis" or "Docker.DotNet"
            || name.StartsWith("Npgsql", StringComparison.Ordinal) || name.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal)).ToList();
        Assert.True(forbidden.Count == 0, $"The agent server depends on {string.Join(", ", forbidden)}");
    }

    [Fact]
    public void Only_the_outbox_writer_and_its_relay_send_outbox_rows()
    {
        var infrastructure = Load("Trinity.Infrastructure");
        var sender = infrastructure.GetType("Trinity.Infrastructure.Outbox.OutboxDispatcher", throwOnError: true)!;
        Assert.False(sender.IsPublic, "OutboxDispatcher is public: a site could send without staging and saving first");
        var writer = infrastructure.GetType("Trinity.Infrastructure.Outbox.OutboxWriter", throwOnError: true)!;
        Assert.Equal(["Publish", "SaveAndSendAsync", "Send"],
            writer.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Select(m => m.Name).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Only_the_agent_protocol_spells_the_agents_routes_and_variables()
    {
        // One agent protocol: the worker, the container manager, the API and the agent server name these through it.
        var spelled = HandWrittenSources()
            .Where(f => f.Contains($"{Path.DirectorySeparatorChar}services{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}Trinity.AgentProtocol{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadAllLines(f).Select((line, i) => (File: Path.GetRelativePath(RepositoryPaths.Root, f), Line: i + 1, Text: line)))
            .Where(l => AgentProtocolLiteral().IsMatch(l.Text))
            .Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}")
            .ToList();
        Assert.True(spelled.Count == 0, string.Join("\n", spelled));
        Assert.Matches(AgentProtocolLiteral(), "var path = \"/api/credentials/reload-token\";");
    }

    [Fact]
    public void No_hand_written_source_file_is_longer_than_three_hundred_lines()
    {
        var files = HandWrittenSources().ToList();
        Assert.True(files.Count > 100, $"only {files.Count} source files found under {RepositoryPaths.Root}");
        var tooLong = files.Select(f => (File: Path.GetRelativePath(RepositoryPaths.Root, f), Lines: File.ReadAllLines(f).Length))
            .Where(f => f.Lines > LongestFile).ToList();
        Assert.True(tooLong.Count == 0, string.Join("\n", tooLong.Select(f => $"{f.File}: {f.Lines} lines")));
    }

    [Fact]
    public void A_partial_class_exists_only_for_a_source_generator()
    {
        var split = HandWrittenSources()
            .Where(f => PartialType().IsMatch(File.ReadAllText(f)) && !File.ReadAllText(f).Contains("[GeneratedRegex", StringComparison.Ordinal)
                && !File.ReadAllText(f).Contains("[LibraryImport", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(RepositoryPaths.Root, f))
            .ToList();
        Assert.True(split.Count == 0, $"partial types that no generator needs: {string.Join(", ", split)}");
    }

    /// <summary>Every C# file of the repository but generated ones (migrations, build output).</summary>
    static IEnumerable<string> HandWrittenSources() =>
        SourceFolders
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, folder), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "Migrations"));

    static Assembly Load(string name) =>
        AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == name)
        ?? Assembly.LoadFrom(name == "trinity"
            ? Path.Combine(RepositoryPaths.Root, "tools", "Trinity.Cli", "bin", RepositoryPaths.Configuration, "net10.0", "trinity.dll")
            : RepositoryPaths.ServiceAssembly(name));

    [GeneratedRegex("\"(/api/(credentials|drain|resume|turns)|CLAUDE_CODE_OAUTH_TOKEN|ANTHROPIC_API_KEY|TRINITY_AGENT_(CONTROL_KEY|FENCE)|/var/lib/trinity/oauth-token)")]
    private static partial Regex AgentProtocolLiteral();

    [GeneratedRegex(@"\bpartial\s+(class|record|struct|interface)\b")]
    private static partial Regex PartialType();
}
