#!/usr/bin/env bash
# `make cluster`: the system on a RabbitMQ cluster of three nodes on this machine — their own node names, AMQP,
# management and Erlang distribution ports and data directories, all on 127.0.0.1 — with two replicas of the
# Orchestrator and of the rotation worker, the API, and two Docker hosts: this machine's engine ("local", agents on
# 127.0.0.1) and a second engine beside it ("second": its own socket, data root, exec root and containerd, no bridge,
# agents on 127.0.0.2), each with its own container manager. PostgreSQL, Redis and the first engine are the local
# services. Writes $STATE/cluster.env (owner-only) for ./trinity and for tests; `make cluster-down`
# (scripts/cluster.sh down) stops what it started, by PID, and removes the nodes' data, the second engine and the
# cluster's database.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIGURATION="${CONFIGURATION:-Release}"
STATE="${TRINITY_STATE_DIR:-$HOME/.trinity}"
CLUSTER_ENV="$STATE/cluster.env"
CLUSTER_PIDS="$STATE/cluster.pids" # the services', for make cluster-down
NODES_DIR="${TRINITY_CLUSTER_DATA:-/var/tmp/trinity-cluster}" # not under $HOME: the nodes run as the rabbitmq user
ENGINE_DIR=/var/tmp/trinity-cluster-engine # the second engine's; short: a unix socket's path has at most 107 bytes
SECOND_ENGINE="unix://$ENGINE_DIR/docker.sock"
DOCKER_HOSTS="local=127.0.0.1,second=127.0.0.2" # Trinity:DockerHosts of every service
RUN=trinity-cluster
WORK="artifacts/cluster"
LOG_TAG=cluster
AMQP_PORTS=(5701 5702 5703)
mkdir -p "$WORK"

node_env() { # n — the environment a node's rabbitmq-server and rabbitmqctl need: nothing of the shared node applies
  local dir="$NODES_DIR/rabbitmq-$1" port=${AMQP_PORTS[$1 - 1]}
  printf '%s\n' RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" RABBITMQ_NODENAME="trinity-cluster-$1@localhost" \
    RABBITMQ_DIST_PORT=$((port + 20000)) RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq" RABBITMQ_PID_FILE="$dir/rabbitmq.pid" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}
rabbit() { local n=$1; shift; mapfile -t environment < <(node_env "$n"); env "${environment[@]}" "$@"; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_second_engine() { # dockerd in its own session: its own containerd namespaces, an empty configuration file
  if [[ -e $ENGINE_DIR ]]; then log "$ENGINE_DIR exists and is not this script's: remove it by hand"; exit 1; fi
  mkdir -m 700 "$ENGINE_DIR" && touch "$ENGINE_DIR/.trinity-cluster-engine" && echo '{}' >"$ENGINE_DIR/daemon.json"
  setsid dockerd --config-file "$ENGINE_DIR/daemon.json" --data-root "$ENGINE_DIR/data" --exec-root "$ENGINE_DIR/exec" \
    -H "$SECOND_ENGINE" --pidfile "$ENGINE_DIR/docker.pid" --containerd-namespace "$RUN-second" \
    --containerd-plugins-namespace "$RUN-second-plugins" --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
    >"$WORK/dockerd-second.log" 2>&1 </dev/null &
  local daemon=$! deadline=$((SECONDS + 60))
  until docker -H "$SECOND_ENGINE" version >/dev/null 2>&1; do
    if ! alive "$daemon" || ((SECONDS > deadline)); then log "the second Docker engine did not start; see $WORK/dockerd-second.log"; exit 1; fi
    sleep 0.5
  done
  docker -H unix:///var/run/docker.sock save trinity/agent:latest | docker -H "$SECOND_ENGINE" load -q >/dev/null
}

stop_second_engine() { # its containers removed, dockerd stopped by the PID it wrote, its mounts and directory removed
  # Only a directory this script made: root's, mode 0700, with its marker.
  [[ -d $ENGINE_DIR && ! -L $ENGINE_DIR && -f $ENGINE_DIR/.trinity-cluster-engine ]] || return 0
  [[ $(stat -c %u:%a "$ENGINE_DIR") == 0:700 ]] || { log "$ENGINE_DIR is not root's with mode 700: left alone"; return 0; }
  if [[ -S $ENGINE_DIR/docker.sock ]]; then
    docker -H "$SECOND_ENGINE" ps -aq --filter "label=trinity.run=$RUN" 2>/dev/null | xargs -r docker -H "$SECOND_ENGINE" rm -f >/dev/null || true
  fi
  local pid
  pid=$(cat "$ENGINE_DIR/docker.pid" 2>/dev/null || true)
  # Only the daemon started on this pid file (a PID is reused once its process has gone).
  if [[ -n $pid ]] && tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF "$ENGINE_DIR/docker.pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 200); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  local mount
  while read -r mount; do umount -l "$mount" || true; done < <(awk -v dir="$ENGINE_DIR/" 'index($2, dir) == 1 { print $2 }' /proc/self/mounts | sort -r)
  rm -rf "$ENGINE_DIR"
}

stop_all() { # the services by their PIDs, then each node's Erlang VM by the PID it wrote; data removed
  [[ -f $CLUSTER_PIDS ]] && read -r -a PIDS <"$CLUSTER_PIDS"
  for n in 1 2 3; do
    [[ -s $NODES_DIR/rabbitmq-$n/rabbitmq.pid ]] && PIDS+=("$(cat "$NODES_DIR/rabbitmq-$n/rabbitmq.pid")")
  done
  log "stopping ${#PIDS[@]} processes (the services, then the nodes), the cluster's agent containers and the second engine"
  system_stop
  stop_second_engine
  # Its database too: the next start draws a new encryption key, which could not read the rows of this one.
  runuser -u postgres -- psql -q -c "DROP DATABASE IF EXISTS \"$DATABASE\" WITH (FORCE)" >/dev/null || true
  rm -rf "$NODES_DIR" "$CLUSTER_ENV" "$CLUSTER_PIDS"
}

if [[ ${1:-} == down ]]; then
  # shellcheck source=scripts/system.sh
  source scripts/system.sh
  stop_all
  exit 0
fi

if [[ -f $CLUSTER_ENV ]] && curl -sf "$(sed -n 's/^TRINITY_API_URL=//p' "$CLUSTER_ENV")/health/live" >/dev/null; then
  echo "[cluster] already running: $(sed -n 's/^TRINITY_API_URL=//p' "$CLUSTER_ENV") (make cluster-down stops it)" >&2
  exit 0
fi
[[ -f $CLUSTER_PIDS || -d $NODES_DIR || -d $ENGINE_DIR ]] && bash "$0" down # what a run that died left behind

bash scripts/local-services.sh
dotnet build Trinity.Messaging.sln -c "$CONFIGURATION" -nologo -v quiet
bash docker/agent/build.sh >"$WORK/agent-image.log" 2>&1
# shellcheck source=scripts/system.sh
source scripts/system.sh
API_PORT="${TRINITY_CLUSTER_API_PORT:-8090}"
for port in "${AMQP_PORTS[@]}" 15701 15702 15703 "$API_PORT"; do
  if listening "$port"; then log "127.0.0.1:$port is taken: stop what holds it"; exit 1; fi
done
trap '[[ $? == 0 ]] || { log "failed: stopping what it started"; stop_all; }' EXIT

BROKER_USER=trinity BROKER_PASSWORD=$(secret 24) MANAGEMENT_URL=http://127.0.0.1:15701 # for system.sh too
log "starting three RabbitMQ nodes on 127.0.0.1:${AMQP_PORTS[*]} (management on 1570x)"
for n in 1 2 3; do
  dir="$NODES_DIR/rabbitmq-$n" port=${AMQP_PORTS[$n - 1]}
  mkdir -p -m 700 "$NODES_DIR" && mkdir -p "$dir/mnesia" "$dir/log"
  (umask 077 && cat >"$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$port
management.tcp.ip = 127.0.0.1
management.tcp.port = $((port + 10000))
default_user = $BROKER_USER
default_pass = $BROKER_PASSWORD
default_user_tags.administrator = true
CONF
  )
  echo '[rabbitmq_management].' >"$dir/enabled_plugins"
  : >"$dir/rabbitmq-env.conf"
  chown -R rabbitmq:rabbitmq "$NODES_DIR" # Debian's rabbitmq-server runs as the rabbitmq user
  rabbit "$n" rabbitmq-server -detached
done
for n in 1 2 3; do
  deadline=$((SECONDS + 90))
  until listening "${AMQP_PORTS[$n - 1]}"; do
    if ((SECONDS > deadline)); then log "node $n did not start; see $NODES_DIR/rabbitmq-$n/log"; exit 1; fi
    sleep 0.5
  done
done
for n in 2 3; do # a joining node's own data is reset: it takes the cluster's users
  rabbit "$n" rabbitmqctl -n "trinity-cluster-$n@localhost" -q stop_app
  rabbit "$n" rabbitmqctl -n "trinity-cluster-$n@localhost" -q join_cluster trinity-cluster-1@localhost
  rabbit "$n" rabbitmqctl -n "trinity-cluster-$n@localhost" -q start_app
done

deadline=$((SECONDS + 60))
until [[ $(management GET 'nodes?columns=running' 2>/dev/null | grep -o '"running":true' | wc -l) == 3 ]]; do
  if ((SECONDS > deadline)); then log "the three nodes did not form a cluster; see $NODES_DIR/rabbitmq-*/log"; exit 1; fi
  sleep 1
done
Trinity__Encryption__Key=$(head -c 32 /dev/urandom | base64) Trinity__Api__AdminKey=$(secret 24)
system_prepare # the virtual host on the cluster, the database, and the services' environment
export Trinity__RabbitMq__Nodes="127.0.0.1:5701,127.0.0.1:5702,127.0.0.1:5703" Trinity__DockerHosts="$DOCKER_HOSTS"
log "starting a second Docker engine on $SECOND_ENGINE (Docker host \"second\", its agents on 127.0.0.2)"
start_second_engine

log "migrating the database, starting two Orchestrators, two workers, a container manager per Docker host and the API (logs in $WORK)"
dotnet "services/Trinity.Migrator/bin/$CONFIGURATION/net10.0/Trinity.Migrator.dll" >"$WORK/migrator.log"
for replica in 1 2; do
  service "orchestrator-$replica" Trinity.Orchestrator ASPNETCORE_URLS="http://127.0.0.1:0"
  service "rotation-worker-$replica" Trinity.RotationWorker ASPNETCORE_URLS="http://127.0.0.1:0"
done
for host in local second; do
  endpoint=unix:///var/run/docker.sock
  [[ $host == second ]] && endpoint=$SECOND_ENGINE
  service "container-manager-$host" Trinity.ContainerManager ASPNETCORE_URLS="http://127.0.0.1:0" \
    Trinity__ContainerManager__Host="$host" Trinity__ContainerManager__DockerEndpoint="$endpoint" \
    Trinity__ContainerManager__ContainerNamePrefix="$RUN-" Trinity__ContainerManager__Labels__trinity.run="$RUN"
done
service api Trinity.Api ASPNETCORE_URLS="http://127.0.0.1:$API_PORT" Trinity__Api__AgentBaseUrl='http://{host}:{port}'

(umask 077 && cat >"$CLUSTER_ENV" <<ENV
TRINITY_API_URL=http://127.0.0.1:$API_PORT
TRINITY_ADMIN_KEY=$Trinity__Api__AdminKey
TRINITY_CLUSTER_MANAGEMENT_URL=$MANAGEMENT_URL
TRINITY_RABBITMQ_MANAGEMENT_URL=$MANAGEMENT_URL
TRINITY_RABBITMQ_HOST=127.0.0.1
TRINITY_RABBITMQ_PORT=5701
TRINITY_RABBITMQ_VHOST=$RUN
TRINITY_RABBITMQ_USER=$BROKER_USER
TRINITY_RABBITMQ_PASSWORD=$BROKER_PASSWORD
TRINITY_DOCKER_HOSTS=unix:///var/run/docker.sock,$SECOND_ENGINE
TRINITY_DOCKER_HOST_NAMES=local,second
ENV
)
(umask 077 && echo "${PIDS[*]}" >"$CLUSTER_PIDS")
cat >&2 <<INFO
[cluster] running (logs in $WORK; make cluster-down stops it):
  API             http://127.0.0.1:$API_PORT  (the admin key is in $CLUSTER_ENV)
  management UI   http://127.0.0.1:15701, :15702, :15703  (virtual host "$RUN"; user and password in $CLUSTER_ENV)
  RabbitMQ nodes  trinity-cluster-{1,2,3}@localhost on 127.0.0.1:5701-5703; every queue a quorum queue on all three
  Docker hosts    local (unix:///var/run/docker.sock, agents on 127.0.0.1) and second ($SECOND_ENGINE, agents on
                  127.0.0.2), a container manager each: ./trinity agents register --name NAME --host second places one there
  ./trinity       set -a; source $CLUSTER_ENV; set +a — then ./trinity agents, ./trinity bus queues, … talk to it
INFO
