using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Trinity.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class PendingRequestsBackoffAndDisabling : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "recheck_failure_id",
                table: "agent_credential_states",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "pending_refresh_subscription_id",
                table: "agent_credential_states",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "disabled_at",
                table: "subscriptions",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "disabled_by_failure_id",
                table: "subscriptions",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "disabled_reason",
                table: "subscriptions",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "key_version",
                table: "failures",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "failed_attempts",
                table: "agent_credential_states",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "last_failure",
                table: "agent_credential_states",
                type: "character varying(500)",
                maxLength: 500,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "next_attempt_at",
                table: "agent_credential_states",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<List<Guid>>(
                name: "pending_failure_ids",
                table: "agent_credential_states",
                type: "uuid[]",
                nullable: false,
                defaultValueSql: "'{}'");

            migrationBuilder.AddColumn<Guid>(
                name: "pending_reassignment_id",
                table: "agent_credential_states",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "pending_reassignment_subscription_id",
                table: "agent_credential_states",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "pending_refresh_id",
                table: "agent_credential_states",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "recheck_at",
                table: "agent_credential_states",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_agent_credential_states_recheck_at",
                table: "agent_credential_states",
                column: "recheck_at");

            // The one pending slot of before, moved to the slot of its kind.
            migrationBuilder.Sql("""
                UPDATE agent_credential_states SET pending_reassignment_id = pending_id, pending_reassignment_subscription_id = pending_subscription_id
                    WHERE pending_kind = 'Reassignment';
                UPDATE agent_credential_states SET pending_refresh_id = pending_id, pending_refresh_subscription_id = pending_subscription_id
                    WHERE pending_kind = 'Refresh';
                UPDATE agent_credential_states SET pending_failure_ids = ARRAY[pending_id]
                    WHERE pending_kind = 'Failure' AND pending_id IS NOT NULL;
                """);

            migrationBuilder.DropColumn(name: "pending_kind", table: "agent_credential_states");
            migrationBuilder.DropColumn(name: "pending_id", table: "agent_credential_states");
            migrationBuilder.DropColumn(name: "pending_subscription_id", table: "agent_credential_states");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(name: "pending_kind", table: "agent_credential_states", type: "character varying(16)", maxLength: 16, nullable: true);
            migrationBuilder.AddColumn<Guid>(name: "pending_id", table: "agent_credential_states", type: "uuid", nullable: true);
            migrationBuilder.AddColumn<Guid>(name: "pending_subscription_id", table: "agent_credential_states", type: "uuid", nullable: true);

            // Back to one slot: the reassignment, else the refresh, else the first failure (what the old code would have kept).
            migrationBuilder.Sql("""
                UPDATE agent_credential_states SET pending_kind = 'Reassignment', pending_id = pending_reassignment_id,
                    pending_subscription_id = pending_reassignment_subscription_id WHERE pending_reassignment_id IS NOT NULL;
                UPDATE agent_credential_states SET pending_kind = 'Refresh', pending_id = pending_refresh_id,
                    pending_subscription_id = pending_refresh_subscription_id WHERE pending_kind IS NULL AND pending_refresh_id IS NOT NULL;
                UPDATE agent_credential_states SET pending_kind = 'Failure', pending_id = pending_failure_ids[1]
                    WHERE pending_kind IS NULL AND cardinality(pending_failure_ids) > 0;
                """);

            migrationBuilder.DropIndex(name: "ix_agent_credential_states_recheck_at", table: "agent_credential_states");
            migrationBuilder.DropColumn(name: "disabled_at", table: "subscriptions");
            migrationBuilder.DropColumn(name: "disabled_by_failure_id", table: "subscriptions");
            migrationBuilder.DropColumn(name: "disabled_reason", table: "subscriptions");
            migrationBuilder.DropColumn(name: "key_version", table: "failures");
            foreach (var column in new[]
            {
                "failed_attempts", "last_failure", "next_attempt_at", "pending_failure_ids", "pending_reassignment_id",
                "pending_reassignment_subscription_id", "pending_refresh_id", "pending_refresh_subscription_id", "recheck_at", "recheck_failure_id",
            })
                migrationBuilder.DropColumn(name: column, table: "agent_credential_states");
        }
    }
}
