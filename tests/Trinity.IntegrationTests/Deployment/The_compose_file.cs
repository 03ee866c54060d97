using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Trinity.Testing;

namespace Trinity.IntegrationTests.Deployment;

/// <summary>
/// <c>docker-compose.yml</c> as an operator gets it: Debian's docker-compose accepts it, and what it says about
/// health, secrets, the Docker socket and published ports is read from the file itself.
/// </summary>
public sealed partial class The_compose_file
{
    static readonly string ComposeFile = Path.Combine(RepositoryPaths.Root, "docker-compose.yml");

    static readonly string[] LongRunning = ["rabbitmq", "postgres", "redis", "orchestrator", "rotation-worker", "container-manager", "api"];

    static async Task<JsonElement> ServicesAsync()
    {
        var run = await CommandRun.RunAsync("/usr/bin/python3",
            ["-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", ComposeFile], new Dictionary<string, string?>());
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonDocument.Parse(run.Output).RootElement.GetProperty("services");
    }

    [Fact]
    public async Task Docker_compose_validates_it_with_every_variable_of_the_example_set()
    {
        var example = await File.ReadAllLinesAsync(Path.Combine(RepositoryPaths.Root, ".env.example"));
        var env = Path.Combine(Directory.CreateTempSubdirectory("trinity-compose-").FullName, ".env");
        await File.WriteAllLinesAsync(env, example.Where(l => l.EndsWith('=')).Select(l => l + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))));
        var run = await CommandRun.RunAsync("docker-compose", ["-f", ComposeFile, "--env-file", env, "config", "-q"], new Dictionary<string, string?>());
        Assert.True(run.ExitCode == 0, run.ToString());
    }

    [Fact]
    public async Task The_example_env_file_has_every_variable_and_no_value()
    {
        var example = (await File.ReadAllLinesAsync(Path.Combine(RepositoryPaths.Root, ".env.example"))).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.All(example, line => Assert.EndsWith("=", line, StringComparison.Ordinal));
        var used = VariableReference().Matches(await File.ReadAllTextAsync(ComposeFile)).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Equal(used.Order(), example.Select(l => l.TrimEnd('=')).Order());
    }

    [Fact]
    public async Task Every_long_running_service_has_a_health_check_and_the_services_start_after_it()
    {
        var services = await ServicesAsync();
        foreach (var name in LongRunning)
            Assert.True(services.GetProperty(name).TryGetProperty("healthcheck", out var check) && check.TryGetProperty("test", out _), $"{name} has no health check");
        foreach (var name in new[] { "orchestrator", "rotation-worker", "container-manager", "api" })
        {
            var dependsOn = services.GetProperty(name).GetProperty("depends_on");
            Assert.Equal("service_completed_successfully", dependsOn.GetProperty("migrate").GetProperty("condition").GetString());
            Assert.Equal("service_healthy", dependsOn.GetProperty("rabbitmq").GetProperty("condition").GetString());
        }
    }

    [Fact]
    public async Task No_secret_value_is_written_in_it()
    {
        foreach (var service in (await ServicesAsync()).EnumerateObject())
        {
            if (!service.Value.TryGetProperty("environment", out var environment))
                continue;
            foreach (var variable in environment.EnumerateObject())
            {
                var value = variable.Value.ToString();
                if (SecretName().IsMatch(variable.Name))
                    Assert.True(value.StartsWith("${", StringComparison.Ordinal), $"{service.Name}: {variable.Name} is written in the file");
                foreach (Match password in PasswordInConnectionString().Matches(value))
                    Assert.True(password.Groups[1].Value.StartsWith("${", StringComparison.Ordinal), $"{service.Name}: {variable.Name} carries a password");
            }
        }
    }

    [Fact]
    public async Task Only_the_container_manager_mounts_the_docker_socket()
    {
        var mounting = (await ServicesAsync()).EnumerateObject()
            .Where(s => s.Value.TryGetProperty("volumes", out var volumes) && volumes.EnumerateArray().Any(v => v.ToString().Contains("docker.sock", StringComparison.Ordinal)))
            .Select(s => s.Name);
        Assert.Equal(["container-manager"], mounting);
    }

    [Fact]
    public async Task Ports_are_published_on_the_hosts_loopback_only()
    {
        var ports = (await ServicesAsync()).EnumerateObject()
            .SelectMany(s => s.Value.TryGetProperty("ports", out var p) ? p.EnumerateArray().Select(x => x.ToString()) : []).ToList();
        Assert.Contains("127.0.0.1:15672:15672", ports);
        Assert.All(ports, port => Assert.StartsWith("127.0.0.1:", port, StringComparison.Ordinal));
    }

    [GeneratedRegex(@"\$\{([A-Z_]+)[:?}-]")]
    private static partial Regex VariableReference();

    [GeneratedRegex("PASSWORD|PASS$|KEY$|SECRET", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();

    [GeneratedRegex(@"Password=([^;]*)")]
    private static partial Regex PasswordInConnectionString();
}
