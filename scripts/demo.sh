#!/usr/bin/env bash
# The demo of the main job, start to end: installs and starts what it needs, builds, starts the services, has
# three agents in real containers run long turns until subscription A runs out, and shows them move to B by
# hot-reload without a turn killed. It stops everything it started (by PID) and removes its containers,
# database and virtual host. Secrets are generated for this run and travel only in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIGURATION="${CONFIGURATION:-Release}"
RUN="demo-$(date -u +%Y%m%d%H%M%S)"
WORK="artifacts/demo/$RUN"
LOG_TAG=demo
mkdir -p "$WORK"

bash scripts/local-services.sh
if [[ -z ${TRINITY_DEMO_SKIP_BUILD:-} ]]; then
  dotnet build Trinity.Messaging.sln -c "$CONFIGURATION" -nologo -v quiet
  bash docker/agent/build.sh >/dev/null
fi
# shellcheck source=scripts/system.sh
source scripts/system.sh
Trinity__Encryption__Key="$(head -c 32 /dev/urandom | base64)"
Trinity__Api__AdminKey="$(secret 24)"
export Serilog__MinimumLevel__Default="${TRINITY_DEMO_LOG_LEVEL:-Warning}"
API_PORT=$(free_port) MODEL_PORT=$(free_port)

cleanup() {
  log "stopping what the demo started"
  system_stop
  runuser -u postgres -- psql -q -c "DROP DATABASE IF EXISTS \"$DATABASE\" WITH (FORCE)" >/dev/null || true
  management DELETE "vhosts/$RUN" >/dev/null || true
}
trap cleanup EXIT

system_prepare
system_start
log "running: three agents, two long turns each, until subscription demo-a runs out"
TRINITY_DEMO_API="http://127.0.0.1:$API_PORT" TRINITY_DEMO_MODEL_API="http://127.0.0.1:$MODEL_PORT" \
  TRINITY_DEMO_AGENT_PORTS="$(free_port),$(free_port),$(free_port)" dotnet "tests/Trinity.Demo/bin/$CONFIGURATION/net10.0/Trinity.Demo.dll"
