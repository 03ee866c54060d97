using System.ComponentModel.DataAnnotations;

namespace Trinity.Api;

/// <summary>Section <c>Trinity:Api</c>.</summary>
public sealed class ApiOptions
{
    public const string Section = "Trinity:Api";

    /// <summary>Required on every route but health (<c>Authorization: Bearer …</c>); no default.</summary>
    [Required(ErrorMessage = "Trinity:Api:AdminKey is required (environment: Trinity__Api__AdminKey), at least 16 characters.")]
    [MinLength(16, ErrorMessage = "Trinity:Api:AdminKey must have at least 16 characters.")]
    public string AdminKey { get; set; } = "";
}
