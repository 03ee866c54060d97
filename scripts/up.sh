#!/usr/bin/env bash
# `make up`: the demo's system, left running for exploring — the API on 127.0.0.1:${TRINITY_API_PORT:-8080}, the
# management UI on 127.0.0.1:15672, agents as containers named trinity-*. Its state (virtual host and database
# "trinity", the generated encryption and admin keys in ~/.trinity/up.env, owner-only, and the agent containers,
# stopped) survives `make down`.
# `make up` twice is safe: a running system is left as it is. `scripts/up.sh down` (make down) stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIGURATION="${CONFIGURATION:-Release}"
STATE="${TRINITY_STATE_DIR:-$HOME/.trinity}"
UP_ENV="$STATE/up.env"
RUN=trinity
WORK="artifacts/up"
LOG_TAG=up
mkdir -p "$WORK"

if [[ ${1:-} == down ]]; then
  [[ -f $UP_ENV ]] || { echo "[up] nothing to stop: $UP_ENV does not exist" >&2; exit 0; }
  # shellcheck source=scripts/system.sh
  source scripts/system.sh
  read -r -a PIDS <<<"$(sed -n 's/^TRINITY_UP_PIDS=//p' "$UP_ENV")"
  log "stopping ${#PIDS[@]} processes and the agent containers (kept: make up starts them again with the tokens they run)"
  system_stop keep
  sed -i '/^TRINITY_UP_PIDS=/d' "$UP_ENV"
  exit 0
fi

running() { [[ -f $UP_ENV ]] && grep -q '^TRINITY_UP_PIDS=' "$UP_ENV" &&
  curl -sf "$(sed -n 's/^TRINITY_API_URL=//p' "$UP_ENV")/health/live" >/dev/null; }
if running; then
  echo "[up] already running: $(sed -n 's/^TRINITY_API_URL=//p' "$UP_ENV") (make down stops it)" >&2
  exit 0
fi

bash scripts/local-services.sh
dotnet build Trinity.Messaging.sln -c "$CONFIGURATION" -nologo -v quiet
bash docker/agent/build.sh >"$WORK/agent-image.log" 2>&1
# shellcheck source=scripts/system.sh
source scripts/system.sh

# Generated once, kept owner-only: the encryption key must outlive a restart or the stored tokens are lost.
if [[ ! -f $UP_ENV ]]; then
  (umask 077 && printf 'TRINITY_ENCRYPTION_KEY=%s\nTRINITY_ADMIN_KEY=%s\n' "$(head -c 32 /dev/urandom | base64)" "$(secret 24)" >"$UP_ENV")
fi
Trinity__Encryption__Key="$(sed -n 's/^TRINITY_ENCRYPTION_KEY=//p' "$UP_ENV")"
Trinity__Api__AdminKey="$(sed -n 's/^TRINITY_ADMIN_KEY=//p' "$UP_ENV")"
API_PORT="${TRINITY_API_PORT:-8080}" MODEL_PORT=$(free_port)
ORCHESTRATOR_PORT="${TRINITY_ORCHESTRATOR_PORT:-8081}" WORKER_PORT="${TRINITY_WORKER_PORT:-8082}" MANAGER_PORT="${TRINITY_MANAGER_PORT:-8083}"
trap 'system_stop' ERR

system_prepare
system_start
# Agents stopped by `make down` come back as they were (a stopped container keeps its reloaded token).
docker ps -aq --filter "label=trinity.run=$RUN" --filter status=exited | xargs -r docker start >/dev/null
sed -i '/^TRINITY_API_URL=/d; /^TRINITY_RABBITMQ_VHOST=/d; /^TRINITY_MODEL_API_URL=/d; /^TRINITY_UP_PIDS=/d' "$UP_ENV"
printf 'TRINITY_API_URL=http://127.0.0.1:%s\nTRINITY_RABBITMQ_VHOST=%s\nTRINITY_MODEL_API_URL=http://127.0.0.1:%s\nTRINITY_UP_PIDS=%s\n' \
  "$API_PORT" "$RUN" "$MODEL_PORT" "${PIDS[*]}" >>"$UP_ENV"
cat >&2 <<INFO
[up] Trinity.Messaging is running (logs in $WORK; make down stops it):
  API              http://127.0.0.1:$API_PORT  (OpenAPI: /api/openapi/v1.json; the admin key is in $UP_ENV)
  management UI    http://127.0.0.1:15672  (virtual host "$RUN"; user and password in $STATE/local.env)
  metrics, health  http://127.0.0.1:{$API_PORT,$ORCHESTRATOR_PORT,$WORKER_PORT,$MANAGER_PORT}/metrics, /health/ready
  model API stand-in http://127.0.0.1:$MODEL_PORT
Try:
  ./trinity subscriptions add --name team-a --token-file FILE    (or the token on standard input)
  ./trinity agents register --name alice --subscription team-a
  ./trinity agents show alice
  ./trinity failures report --agent alice --kind rate-limited --source schedule --subscription team-a
  ./trinity rotations --agent alice
  ./trinity bus queues
INFO
