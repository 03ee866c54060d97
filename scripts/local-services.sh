#!/usr/bin/env bash
# Installs (Debian packages, when missing) and starts the real components every test and the demo use:
# RabbitMQ with the management plugin, PostgreSQL, Redis and the Docker engine, all on loopback.
# Credentials are generated once into an owner-only file; the default `guest` user is removed.
# Safe to run any number of times: each step checks before it acts.
set -euo pipefail

STATE_DIR="${TRINITY_STATE_DIR:-$HOME/.trinity}"
CREDENTIALS="$STATE_DIR/local.env"
log() { printf '[local-services] %s\n' "$*" >&2; }

wait_for_port() { # host port seconds
  local deadline=$((SECONDS + $3))
  until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
    if ((SECONDS > deadline)); then log "port $1:$2 did not open within $3 s"; return 1; fi
    sleep 0.3
  done
}

install_packages() {
  local missing=()
  command -v rabbitmq-server >/dev/null || missing+=(rabbitmq-server)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v curl >/dev/null || missing+=(curl)
  /usr/bin/python3 -c 'import pika' 2>/dev/null || missing+=(python3-pika)
  /usr/bin/python3 -c 'import yaml' 2>/dev/null || missing+=(python3-yaml)
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then log "missing packages (${missing[*]}): run this as root once"; exit 1; fi
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  # promtool tests the alert rules in monitoring/; Prometheus' recommended node exporter is not wanted.
  if ! command -v promtool >/dev/null; then
    if [[ $(id -u) -ne 0 ]]; then log "missing package prometheus (promtool): run this as root once"; exit 1; fi
    log "installing prometheus (for promtool; its server, which would listen on every address, is not started)"
    local policy=/usr/sbin/policy-rc.d own_policy=0
    if [[ ! -e $policy ]]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; own_policy=1; fi
    local installed=0
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null && installed=1
    if [[ $own_policy -eq 1 ]]; then rm -f "$policy"; fi
    if [[ $installed -ne 1 ]]; then log "installing prometheus failed"; exit 1; fi
  fi
  # Nor started at the next boot: masked for systemd, disabled for sysvinit (each run, in case it was installed before).
  if [[ $(id -u) -eq 0 && -e /etc/init.d/prometheus ]]; then
    mkdir -p /etc/systemd/system
    [[ -L /etc/systemd/system/prometheus.service ]] || ln -sf /dev/null /etc/systemd/system/prometheus.service
    update-rc.d prometheus disable >/dev/null 2>&1 || true
  fi
}

generate_credentials() {
  mkdir -p "$STATE_DIR" && chmod 700 "$STATE_DIR"
  if [[ ! -s $CREDENTIALS ]]; then
    log "generating credentials into $CREDENTIALS"
    local secret; secret() { head -c 24 /dev/urandom | base64 | tr -d '/+=' ; }
    (umask 077; cat >"$CREDENTIALS" <<CREDS
TRINITY_RABBITMQ_USER=trinity
TRINITY_RABBITMQ_PASSWORD=$(secret)
TRINITY_POSTGRES_USER=trinity
TRINITY_POSTGRES_PASSWORD=$(secret)
TRINITY_REDIS_PASSWORD=$(secret)
CREDS
    )
  fi
  chmod 600 "$CREDENTIALS"
  # shellcheck disable=SC1090
  source "$CREDENTIALS"
}

# Writes $1 from standard input; true when its content changed.
write_if_changed() {
  local new; new=$(cat)
  if [[ -f $1 && $(cat "$1") == "$new" ]]; then return 1; fi
  printf '%s\n' "$new" >"$1"
}

start_rabbitmq() {
  local changed=0
  # Queue counts in the management API refresh every second (default 5 s): tests and operators read them.
  # The Prometheus plugin serves the queue depths the alert rules in monitoring/ read (_error queues).
  write_if_changed /etc/rabbitmq/rabbitmq.conf <<'CONF' && changed=1
listeners.tcp.default = 127.0.0.1:5672
management.tcp.ip = 127.0.0.1
management.tcp.port = 15672
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = 15692
loopback_users = none
collect_statistics_interval = 1000
CONF
  write_if_changed /etc/rabbitmq/rabbitmq-env.conf <<'CONF' && changed=1
NODENAME=rabbit@localhost
NODE_IP_ADDRESS=127.0.0.1
ERL_EPMD_ADDRESS=127.0.0.1
SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
CONF
  # A node without the Prometheus listener runs an older configuration (a run that stopped half-way, or one started
  # before it): restarted too, so the plugin is enabled offline and binds loopback as configured.
  if (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null && ! (exec 3<>/dev/tcp/127.0.0.1/15692) 2>/dev/null; then changed=1; fi
  if ((changed)) && (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
    log "RabbitMQ configuration changed: restarting it"
    rabbitmqctl -q stop >/dev/null
    local deadline=$((SECONDS + 60))
    while (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; do
      if ((SECONDS > deadline)); then log "RabbitMQ did not stop"; exit 1; fi
      sleep 0.5
    done
  fi
  if ! (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
    log "starting RabbitMQ"
    rabbitmq-plugins enable --offline rabbitmq_management rabbitmq_prometheus >/dev/null
    ERL_EPMD_ADDRESS=127.0.0.1 rabbitmq-server -detached
    wait_for_port 127.0.0.1 5672 90
  fi
  rabbitmqctl -q await_startup >/dev/null
  wait_for_port 127.0.0.1 15672 60
  wait_for_port 127.0.0.1 15692 60
  # The password goes through standard input, never the command line.
  if rabbitmqctl -q list_users | awk '{print $1}' | grep -qx "$TRINITY_RABBITMQ_USER"; then
    printf '%s' "$TRINITY_RABBITMQ_PASSWORD" | rabbitmqctl -q change_password "$TRINITY_RABBITMQ_USER" >/dev/null
  else
    printf '%s' "$TRINITY_RABBITMQ_PASSWORD" | rabbitmqctl -q add_user "$TRINITY_RABBITMQ_USER" >/dev/null
  fi
  rabbitmqctl -q set_user_tags "$TRINITY_RABBITMQ_USER" administrator >/dev/null
  rabbitmqctl -q set_permissions -p / "$TRINITY_RABBITMQ_USER" '.*' '.*' '.*' >/dev/null
  if rabbitmqctl -q list_users | awk '{print $1}' | grep -qx guest; then
    rabbitmqctl -q delete_user guest >/dev/null
  fi
}

start_postgresql() {
  if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
    log "starting PostgreSQL"
    local version; version=$(ls /etc/postgresql | sort -V | tail -1)
    pg_ctlcluster "$version" main start
    wait_for_port 127.0.0.1 5432 60
  fi
  # SQL (and so the password) goes through standard input.
  runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$TRINITY_POSTGRES_USER') THEN
    CREATE ROLE $TRINITY_POSTGRES_USER LOGIN CREATEDB;
  END IF;
END \$\$;
ALTER ROLE $TRINITY_POSTGRES_USER WITH LOGIN CREATEDB PASSWORD '$TRINITY_POSTGRES_PASSWORD';
SQL
}

start_redis() {
  local conf="$STATE_DIR/redis.conf"
  (umask 077; cat >"$conf" <<CONF
bind 127.0.0.1
port 6379
protected-mode yes
save ""
appendonly no
daemonize yes
pidfile $STATE_DIR/redis.pid
logfile $STATE_DIR/redis.log
requirepass $TRINITY_REDIS_PASSWORD
CONF
  )
  if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
    log "starting Redis"
    redis-server "$conf"
    wait_for_port 127.0.0.1 6379 30
  fi
  if ! REDISCLI_AUTH="$TRINITY_REDIS_PASSWORD" redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then
    log "a Redis on 127.0.0.1:6379 does not accept the password in $CREDENTIALS; stop it and run again"
    exit 1
  fi
}

start_docker() {
  if ! docker info >/dev/null 2>&1; then
    log "starting the Docker engine (no bridge: containers use host networking)"
    nohup dockerd --bridge=none --iptables=false --ip-masq=false >"$STATE_DIR/dockerd.log" 2>&1 &
    local deadline=$((SECONDS + 30))
    until docker info >/dev/null 2>&1; do
      if ((SECONDS > deadline)); then log "dockerd did not start; see $STATE_DIR/dockerd.log"; exit 1; fi
      sleep 0.3
    done
  fi
}

install_packages
generate_credentials
start_postgresql
start_redis
start_rabbitmq
start_docker
log "ready: RabbitMQ 127.0.0.1:5672 (management :15672), PostgreSQL :5432, Redis :6379, Docker; credentials in $CREDENTIALS"
