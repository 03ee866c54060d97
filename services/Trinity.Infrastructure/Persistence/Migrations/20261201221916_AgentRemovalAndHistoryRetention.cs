using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Trinity.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class AgentRemovalAndHistoryRetention : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "removed_at",
                table: "agents",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_rotations_started_at",
                table: "rotations",
                column: "started_at");

            migrationBuilder.CreateIndex(
                name: "ix_failures_recorded_at",
                table: "failures",
                column: "recorded_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_rotations_started_at",
                table: "rotations");

            migrationBuilder.DropIndex(
                name: "ix_failures_recorded_at",
                table: "failures");

            migrationBuilder.DropColumn(
                name: "removed_at",
                table: "agents");
        }
    }
}
