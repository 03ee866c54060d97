#!/usr/bin/env bash
# Builds an image for every service without pulling anything: one self-contained publish of all of them into
# one root file system (they share the runtime), on an empty base — trinity/service-base — then one small image
# per service on top of it, each with its entry point, an unprivileged user and a HEALTHCHECK that runs the
# service's own binary in probe mode (there is no shell or curl in the image).
#   trinity/orchestrator  trinity/rotation-worker  trinity/container-manager  trinity/api  trinity/migrator
set -euo pipefail
cd "$(dirname "$0")/../.."
CONTEXT=artifacts/images/services
rm -rf "$CONTEXT" && mkdir -p "$CONTEXT/base/rootfs/app"

for project in Orchestrator RotationWorker ContainerManager Api Migrator; do
  dotnet publish "services/Trinity.$project/Trinity.$project.csproj" -c Release -r linux-x64 --self-contained \
    -p:InvariantGlobalization=true -p:DebugType=none -p:GenerateDocumentationFile=false \
    -o "$CONTEXT/base/rootfs/app" -nologo -v quiet
done
# shellcheck source=docker/runtime-libraries.sh
source docker/runtime-libraries.sh
copy_runtime_libraries "$CONTEXT/base/rootfs" Trinity.Orchestrator
add_user "$CONTEXT/base/rootfs" trinity 10001 /nonexistent
cat >"$CONTEXT/base/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
ENV DOTNET_gcServer=0 \
    DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 \
    DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
USER 10001:10001
DOCKERFILE
DOCKER_BUILDKIT=0 docker build -q -t trinity/service-base:latest "$CONTEXT/base" >/dev/null

service_image() { # image binary port — each service listens on loopback unless told otherwise (ASPNETCORE_URLS)
  local image=$1 binary=$2 port=$3
  mkdir -p "$CONTEXT/$image"
  cat >"$CONTEXT/$image/Dockerfile" <<DOCKERFILE
FROM trinity/service-base:latest
ENV ASPNETCORE_URLS=http://127.0.0.1:$port
LABEL trinity.component=$image
EXPOSE $port
HEALTHCHECK --interval=5s --timeout=5s --start-period=30s --retries=3 CMD ["/app/$binary", "probe"]
ENTRYPOINT ["/app/$binary"]
DOCKERFILE
  DOCKER_BUILDKIT=0 docker build -q -t "trinity/$image:latest" "$CONTEXT/$image" >/dev/null
}
service_image orchestrator Trinity.Orchestrator 8081
service_image rotation-worker Trinity.RotationWorker 8082
service_image container-manager Trinity.ContainerManager 8083
service_image api Trinity.Api 8080

mkdir -p "$CONTEXT/migrator"
cat >"$CONTEXT/migrator/Dockerfile" <<'DOCKERFILE'
FROM trinity/service-base:latest
LABEL trinity.component=migrator
ENTRYPOINT ["/app/Trinity.Migrator"]
DOCKERFILE
DOCKER_BUILDKIT=0 docker build -q -t trinity/migrator:latest "$CONTEXT/migrator" >/dev/null
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^trinity/(service-base|orchestrator|rotation-worker|container-manager|api|migrator):'
