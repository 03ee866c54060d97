using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Trinity.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class OutboxClaims : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "claimed_by",
                table: "outbox_messages",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "outbox_parked",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false),
                    message_id = table.Column<Guid>(type: "uuid", nullable: false),
                    message_type = table.Column<string>(type: "text", nullable: false),
                    body = table.Column<string>(type: "text", nullable: false),
                    destination_address = table.Column<string>(type: "text", nullable: true),
                    correlation_id = table.Column<Guid>(type: "uuid", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    parked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    reason = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_outbox_parked", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "outbox_senders",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    seen_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_outbox_senders", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_claimed_by",
                table: "outbox_messages",
                column: "claimed_by");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "outbox_parked");

            migrationBuilder.DropTable(
                name: "outbox_senders");

            migrationBuilder.DropIndex(
                name: "ix_outbox_messages_claimed_by",
                table: "outbox_messages");

            migrationBuilder.DropColumn(
                name: "claimed_by",
                table: "outbox_messages");
        }
    }
}
