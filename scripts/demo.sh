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
mkdir -p "$WORK"
log() { printf '[demo] %s\n' "$*" >&2; }

bash scripts/local-services.sh
if [[ -z ${TRINITY_DEMO_SKIP_BUILD:-} ]]; then
  dotnet build Trinity.Messaging.sln -c "$CONFIGURATION" -nologo -v quiet
  bash docker/agent/build.sh >/dev/null
fi
# shellcheck disable=SC1090
source "${TRINITY_STATE_DIR:-$HOME/.trinity}/local.env"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
secret() { head -c "$1" /dev/urandom | base64 | tr -d '/+=\n'; }
management() { # method path — the password goes to curl through standard input, never its command line
  printf 'user = "%s:%s"\n' "$TRINITY_RABBITMQ_USER" "$TRINITY_RABBITMQ_PASSWORD" |
    curl -sf -K - -X "$1" -H 'content-type: application/json' ${3:+-d "$3"} "http://127.0.0.1:15672/api/$2" >/dev/null
}

DATABASE="${RUN//-/_}"
management PUT "vhosts/$RUN"
management PUT "permissions/$RUN/$TRINITY_RABBITMQ_USER" '{"configure":".*","write":".*","read":".*"}'
runuser -u postgres -- psql -q -c "CREATE DATABASE \"$DATABASE\" OWNER $TRINITY_POSTGRES_USER" >/dev/null

export Trinity__RabbitMq__VirtualHost="$RUN" Trinity__RabbitMq__Username="$TRINITY_RABBITMQ_USER" Trinity__RabbitMq__Password="$TRINITY_RABBITMQ_PASSWORD"
export Trinity__Postgres__ConnectionString="Host=127.0.0.1;Database=$DATABASE;Username=$TRINITY_POSTGRES_USER;Password=$TRINITY_POSTGRES_PASSWORD"
export Trinity__Redis__Password="$TRINITY_REDIS_PASSWORD" Trinity__Redis__KeyPrefix="$RUN:"
Trinity__Encryption__Key="$(head -c 32 /dev/urandom | base64)"
Trinity__Api__AdminKey="$(secret 24)"
export Trinity__Encryption__Key Trinity__Api__AdminKey
export DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 Serilog__MinimumLevel__Default="${TRINITY_DEMO_LOG_LEVEL:-Warning}"
API_PORT=$(free_port) MODEL_PORT=$(free_port)

PIDS=()
cleanup() {
  log "stopping what the demo started"
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  docker ps -aq --filter "label=trinity.demo-run=$RUN" | xargs -r docker rm -f >/dev/null
  docker volume ls -q --filter "name=$RUN" | xargs -r docker volume rm -f >/dev/null
  runuser -u postgres -- psql -q -c "DROP DATABASE IF EXISTS \"$DATABASE\" WITH (FORCE)" >/dev/null || true
  management DELETE "vhosts/$RUN" || true
}
trap cleanup EXIT

service() { # name project [env...]
  local name=$1 project=$2; shift 2
  env "$@" dotnet "services/$project/bin/$CONFIGURATION/net10.0/$project.dll" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  local deadline=$((SECONDS + 60))
  until grep -q "Application started" "$WORK/$name.log"; do
    if ((SECONDS > deadline)); then log "$name did not start; see $WORK/$name.log"; exit 1; fi
    sleep 0.3
  done
}

log "migrating a fresh database, starting the services (logs in $WORK)"
dotnet "services/Trinity.Migrator/bin/$CONFIGURATION/net10.0/Trinity.Migrator.dll" >"$WORK/migrator.log"
env ASPNETCORE_URLS="http://127.0.0.1:$MODEL_PORT" Simulator__Window=00:10:00 \
  dotnet "tests/Trinity.ModelApiSimulator/bin/$CONFIGURATION/net10.0/Trinity.ModelApiSimulator.dll" >"$WORK/model-api.log" 2>&1 &
PIDS+=($!)
service orchestrator Trinity.Orchestrator
service rotation-worker Trinity.RotationWorker
service container-manager Trinity.ContainerManager \
  Trinity__ContainerManager__ContainerNamePrefix="$RUN-" \
  Trinity__ContainerManager__Labels__trinity.demo-run="$RUN" \
  Trinity__ContainerManager__Environment__0=Trinity__Agent__Turns__Command=/app/fake-claude \
  Trinity__ContainerManager__Environment__1=TRINITY_MODEL_API_URL="http://127.0.0.1:$MODEL_PORT" \
  Trinity__ContainerManager__Environment__2=TRINITY_FAKE_CLI_INTERVAL_MS=500
service api Trinity.Api ASPNETCORE_URLS="http://127.0.0.1:$API_PORT"

log "running: three agents, two long turns each, until subscription demo-a runs out"
TRINITY_DEMO_API="http://127.0.0.1:$API_PORT" TRINITY_DEMO_MODEL_API="http://127.0.0.1:$MODEL_PORT" \
  dotnet "tests/Trinity.Demo/bin/$CONFIGURATION/net10.0/Trinity.Demo.dll"
