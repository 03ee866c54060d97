using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Trinity.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class RecreateJournal : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "recreate_journal",
                columns: table => new
                {
                    agent_name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    rotation_id = table.Column<Guid>(type: "uuid", nullable: false),
                    step = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    old_container_id = table.Column<string>(type: "text", nullable: false),
                    encrypted_old_configuration = table.Column<byte[]>(type: "bytea", nullable: false),
                    turns_outliving_drain = table.Column<int>(type: "integer", nullable: false),
                    drained = table.Column<bool>(type: "boolean", nullable: false),
                    new_container_id = table.Column<string>(type: "text", nullable: true),
                    encrypted_new_control_key = table.Column<byte[]>(type: "bytea", nullable: true),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_recreate_journal", x => x.agent_name);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "recreate_journal");
        }
    }
}
