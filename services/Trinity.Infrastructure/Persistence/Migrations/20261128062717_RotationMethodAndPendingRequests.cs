using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Trinity.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class RotationMethodAndPendingRequests : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "pending_id",
                table: "agent_credential_states",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "pending_kind",
                table: "agent_credential_states",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "pending_refresh_reason",
                table: "agent_credential_states",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "pending_subscription_id",
                table: "agent_credential_states",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "rotation_method",
                table: "agent_credential_states",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "pending_id",
                table: "agent_credential_states");

            migrationBuilder.DropColumn(
                name: "pending_kind",
                table: "agent_credential_states");

            migrationBuilder.DropColumn(
                name: "pending_refresh_reason",
                table: "agent_credential_states");

            migrationBuilder.DropColumn(
                name: "pending_subscription_id",
                table: "agent_credential_states");

            migrationBuilder.DropColumn(
                name: "rotation_method",
                table: "agent_credential_states");
        }
    }
}
