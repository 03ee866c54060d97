using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Trinity.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AgentKindsAndReloadVerification : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "verification",
                table: "rotations",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "authenticated",
                table: "agents",
                type: "boolean",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "kind",
                table: "agents",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "Managed");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "verification",
                table: "rotations");

            migrationBuilder.DropColumn(
                name: "authenticated",
                table: "agents");

            migrationBuilder.DropColumn(
                name: "kind",
                table: "agents");
        }
    }
}
