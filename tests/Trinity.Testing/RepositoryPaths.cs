namespace Trinity.Testing;

public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release: services are started from the same configuration the tests were built in.</summary>
    public static string Configuration { get; } = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    static readonly string[] ServiceFolders = ["services", "tests"];

    /// <summary>A service's built assembly; stand-ins for the outside world live under <c>tests/</c>.</summary>
    public static string ServiceAssembly(string service) =>
        ServiceFolders
            .Select(folder => Path.Combine(Root, folder, service, "bin", Configuration, "net10.0", $"{service}.dll"))
            .FirstOrDefault(File.Exists)
        ?? Path.Combine(Root, "services", service, "bin", Configuration, "net10.0", $"{service}.dll");

    public static string TestLogs(string testClass) =>
        Directory.CreateDirectory(Path.Combine(Root, "artifacts", "test-logs", testClass)).FullName;

    /// <summary>The stand-in coding-agent CLI's executable, as built for the tests.</summary>
    public static string FakeClaudeCli => Path.Combine(Root, "tests", "Trinity.FakeClaudeCli", "bin", Configuration, "net10.0", "fake-claude");

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Trinity.Messaging.sln")))
                return dir.FullName;
        throw new InvalidOperationException("Trinity.Messaging.sln not found above " + AppContext.BaseDirectory);
    }
}
