using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Trinity.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class InitialSchema : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "agent_credential_states",
                columns: table => new
                {
                    correlation_id = table.Column<Guid>(type: "uuid", nullable: false),
                    agent_name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    current_state = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    rotation_id = table.Column<Guid>(type: "uuid", nullable: true),
                    rotation_trigger = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    rotation_method = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    from_subscription_id = table.Column<Guid>(type: "uuid", nullable: true),
                    target_subscription_id = table.Column<Guid>(type: "uuid", nullable: true),
                    target_key_version = table.Column<int>(type: "integer", nullable: true),
                    expected_fingerprint = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: true),
                    fencing_token = table.Column<long>(type: "bigint", nullable: false),
                    deadline_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    applied_subscription_id = table.Column<Guid>(type: "uuid", nullable: true),
                    applied_key_version = table.Column<int>(type: "integer", nullable: true),
                    out_of_sync = table.Column<bool>(type: "boolean", nullable: false),
                    pending_kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    pending_id = table.Column<Guid>(type: "uuid", nullable: true),
                    pending_subscription_id = table.Column<Guid>(type: "uuid", nullable: true),
                    pending_refresh_reason = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_agent_credential_states", x => x.correlation_id);
                });

            migrationBuilder.CreateTable(
                name: "failures",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    agent_name = table.Column<string>(type: "text", nullable: false),
                    subscription_id = table.Column<Guid>(type: "uuid", nullable: false),
                    kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    source = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    execution_id = table.Column<string>(type: "text", nullable: true),
                    status_code = table.Column<int>(type: "integer", nullable: true),
                    error_message = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    retry_after_seconds = table.Column<int>(type: "integer", nullable: true),
                    occurred_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    recorded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    decision = table.Column<string>(type: "text", nullable: true),
                    rotation_id = table.Column<Guid>(type: "uuid", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_failures", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "outbox_messages",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    message_id = table.Column<Guid>(type: "uuid", nullable: false),
                    message_type = table.Column<string>(type: "text", nullable: false),
                    body = table.Column<string>(type: "jsonb", nullable: false),
                    destination_address = table.Column<string>(type: "text", nullable: true),
                    correlation_id = table.Column<Guid>(type: "uuid", nullable: true),
                    conversation_id = table.Column<Guid>(type: "uuid", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_outbox_messages", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "rotations",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    agent_name = table.Column<string>(type: "text", nullable: false),
                    trigger = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    from_subscription_id = table.Column<Guid>(type: "uuid", nullable: true),
                    to_subscription_id = table.Column<Guid>(type: "uuid", nullable: true),
                    key_version = table.Column<int>(type: "integer", nullable: true),
                    fencing_token = table.Column<long>(type: "bigint", nullable: false),
                    causation_id = table.Column<Guid>(type: "uuid", nullable: true),
                    reason = table.Column<string>(type: "text", nullable: false),
                    expected_fingerprint = table.Column<string>(type: "text", nullable: true),
                    observed_fingerprint = table.Column<string>(type: "text", nullable: true),
                    method = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    outcome = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    outcome_detail = table.Column<string>(type: "text", nullable: true),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_rotations", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "subscriptions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    encrypted_token = table.Column<byte[]>(type: "bytea", nullable: false),
                    token_fingerprint = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: false),
                    key_version = table.Column<int>(type: "integer", nullable: false),
                    type = table.Column<string>(type: "text", nullable: true),
                    tier = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    deleted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_subscriptions", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "agents",
                columns: table => new
                {
                    name = table.Column<string>(type: "character varying(63)", maxLength: 63, nullable: false),
                    owner = table.Column<string>(type: "text", nullable: true),
                    subscription_id = table.Column<Guid>(type: "uuid", nullable: true),
                    use_api_key = table.Column<bool>(type: "boolean", nullable: false),
                    fencing_token = table.Column<long>(type: "bigint", nullable: false),
                    base_url = table.Column<string>(type: "text", nullable: true),
                    container_id = table.Column<string>(type: "text", nullable: true),
                    encrypted_control_key = table.Column<byte[]>(type: "bytea", nullable: true),
                    last_recreate_rotation_id = table.Column<Guid>(type: "uuid", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    deleted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_agents", x => x.name);
                    table.ForeignKey(
                        name: "fk_agents_subscriptions_subscription_id",
                        column: x => x.subscription_id,
                        principalTable: "subscriptions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "subscription_keys",
                columns: table => new
                {
                    subscription_id = table.Column<Guid>(type: "uuid", nullable: false),
                    key_version = table.Column<int>(type: "integer", nullable: false),
                    token_fingerprint = table.Column<string>(type: "character varying(12)", maxLength: 12, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_subscription_keys", x => new { x.subscription_id, x.key_version });
                    table.ForeignKey(
                        name: "fk_subscription_keys_subscriptions_subscription_id",
                        column: x => x.subscription_id,
                        principalTable: "subscriptions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_agent_credential_states_agent_name",
                table: "agent_credential_states",
                column: "agent_name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_agent_credential_states_deadline_at",
                table: "agent_credential_states",
                column: "deadline_at");

            migrationBuilder.CreateIndex(
                name: "ix_agents_subscription_id",
                table: "agents",
                column: "subscription_id");

            migrationBuilder.CreateIndex(
                name: "ix_failures_agent_name_recorded_at",
                table: "failures",
                columns: new[] { "agent_name", "recorded_at" });

            migrationBuilder.CreateIndex(
                name: "ix_failures_subscription_id_occurred_at",
                table: "failures",
                columns: new[] { "subscription_id", "occurred_at" });

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_message_id",
                table: "outbox_messages",
                column: "message_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_rotations_agent_name_started_at",
                table: "rotations",
                columns: new[] { "agent_name", "started_at" });

            migrationBuilder.CreateIndex(
                name: "ix_subscription_keys_token_fingerprint",
                table: "subscription_keys",
                column: "token_fingerprint");

            migrationBuilder.CreateIndex(
                name: "ix_subscriptions_name",
                table: "subscriptions",
                column: "name",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "agent_credential_states");

            migrationBuilder.DropTable(
                name: "agents");

            migrationBuilder.DropTable(
                name: "failures");

            migrationBuilder.DropTable(
                name: "outbox_messages");

            migrationBuilder.DropTable(
                name: "rotations");

            migrationBuilder.DropTable(
                name: "subscription_keys");

            migrationBuilder.DropTable(
                name: "subscriptions");
        }
    }
}
