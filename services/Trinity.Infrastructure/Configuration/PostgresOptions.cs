using System.ComponentModel.DataAnnotations;

namespace Trinity.Infrastructure.Configuration;

/// <summary>Section <c>Trinity:Postgres</c>. The connection string carries the password, so it has no default.</summary>
public sealed class PostgresOptions
{
    public const string Section = "Trinity:Postgres";

    [Required(ErrorMessage = "Trinity:Postgres:ConnectionString is required (environment: Trinity__Postgres__ConnectionString).")]
    public string ConnectionString { get; set; } = "";
}
