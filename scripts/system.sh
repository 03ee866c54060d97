# Sourced by demo.sh and up.sh: starts the whole system from the build output, on loopback, for one run.
# Needs RUN (names the virtual host, database, Redis prefix, container names and labels), WORK (log folder),
# CONFIGURATION, API_PORT and MODEL_PORT; generated secrets travel only in the environment. Appends to PIDS.
# shellcheck shell=bash

# shellcheck disable=SC1090
source "${TRINITY_STATE_DIR:-$HOME/.trinity}/local.env"
PIDS=()
log() { printf '[%s] %s\n' "${LOG_TAG:-trinity}" "$*" >&2; }
# A free loopback port below the ephemeral range, which services binding port 0 draw from.
free_port() { python3 -c '
import random, socket
for port in random.sample(range(20000, 32000), 200):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port)); print(port); break
    except OSError:
        pass
    finally:
        s.close()'; }
secret() { head -c "$1" /dev/urandom | base64 | tr -d '/+=\n'; }
# The broker: the shared local node, unless the caller set BROKER_USER, BROKER_PASSWORD and MANAGEMENT_URL (make cluster).
broker_user() { echo "${BROKER_USER:-$TRINITY_RABBITMQ_USER}"; }
management() { # method path [body] — the password goes to curl through standard input, never its command line
  printf 'user = "%s:%s"\n' "$(broker_user)" "${BROKER_PASSWORD:-$TRINITY_RABBITMQ_PASSWORD}" |
    curl -sf -K - -X "$1" -H 'content-type: application/json' ${3:+-d "$3"} "${MANAGEMENT_URL:-http://127.0.0.1:15672}/api/$2"
}

DATABASE="${RUN//-/_}"

system_prepare() { # the virtual host and database of this run (kept if they exist)
  management PUT "vhosts/$RUN" >/dev/null
  management PUT "permissions/$RUN/$(broker_user)" '{"configure":".*","write":".*","read":".*"}' >/dev/null
  if ! runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'" | grep -q 1; then
    runuser -u postgres -- psql -q -c "CREATE DATABASE \"$DATABASE\" OWNER $TRINITY_POSTGRES_USER" >/dev/null
  fi
  export Trinity__RabbitMq__VirtualHost="$RUN" Trinity__RabbitMq__Username="$(broker_user)" Trinity__RabbitMq__Password="${BROKER_PASSWORD:-$TRINITY_RABBITMQ_PASSWORD}"
  export Trinity__Postgres__ConnectionString="Host=127.0.0.1;Database=$DATABASE;Username=$TRINITY_POSTGRES_USER;Password=$TRINITY_POSTGRES_PASSWORD"
  export Trinity__Redis__Password="$TRINITY_REDIS_PASSWORD" Trinity__Redis__KeyPrefix="$RUN:"
  export Trinity__Encryption__Key Trinity__Api__AdminKey
  export DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0
}

service() { # name project [env...] — started in its own session, so it outlives the shell when asked to
  local name=$1 project=$2; shift 2
  setsid env "$@" dotnet "services/$project/bin/$CONFIGURATION/net10.0/$project.dll" >"$WORK/$name.log" 2>&1 </dev/null &
  PIDS+=($!)
  local deadline=$((SECONDS + 60))
  until grep -qs "Application started" "$WORK/$name.log"; do
    if ((SECONDS > deadline)); then log "$name did not start; see $WORK/$name.log"; exit 1; fi
    sleep 0.3
  done
}

system_start() {
  log "migrating the database, starting the services (logs in $WORK)"
  dotnet "services/Trinity.Migrator/bin/$CONFIGURATION/net10.0/Trinity.Migrator.dll" >"$WORK/migrator.log"
  setsid env ASPNETCORE_URLS="http://127.0.0.1:$MODEL_PORT" Simulator__Window=00:10:00 \
    dotnet "tests/Trinity.ModelApiSimulator/bin/$CONFIGURATION/net10.0/Trinity.ModelApiSimulator.dll" >"$WORK/model-api.log" 2>&1 </dev/null &
  PIDS+=($!)
  service orchestrator Trinity.Orchestrator ASPNETCORE_URLS="http://127.0.0.1:${ORCHESTRATOR_PORT:-0}"
  service rotation-worker Trinity.RotationWorker ASPNETCORE_URLS="http://127.0.0.1:${WORKER_PORT:-0}"
  service container-manager Trinity.ContainerManager ASPNETCORE_URLS="http://127.0.0.1:${MANAGER_PORT:-0}" \
    Trinity__ContainerManager__ContainerNamePrefix="$RUN-" \
    Trinity__ContainerManager__Labels__trinity.run="$RUN" \
    Trinity__ContainerManager__Environment__0=Trinity__Agent__Turns__Command=/app/fake-claude \
    Trinity__ContainerManager__Environment__1=TRINITY_MODEL_API_URL="http://127.0.0.1:$MODEL_PORT" \
    Trinity__ContainerManager__Environment__2=TRINITY_FAKE_CLI_INTERVAL_MS=500
  # Agents on host networking each get their own loopback port.
  service api Trinity.Api ASPNETCORE_URLS="http://127.0.0.1:$API_PORT" Trinity__Api__AgentBaseUrl='http://{host}:{port}'
}

alive() { [[ -r /proc/$1/stat ]] && [[ $(cut -d' ' -f3 "/proc/$1/stat") != Z ]]; } # a zombie has ended

system_stop() { # what this run started, by PID, and its containers (removed; `keep` only stops them)
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 150); do alive "$pid" || break; sleep 0.1; done
  done
  if [[ ${1:-} == keep ]]; then
    docker ps -q --filter "label=trinity.run=$RUN" | xargs -r docker stop >/dev/null
    return
  fi
  docker ps -aq --filter "label=trinity.run=$RUN" | xargs -r docker rm -f >/dev/null
  docker volume ls -q --filter "name=$RUN" | xargs -r docker volume rm -f >/dev/null
}
