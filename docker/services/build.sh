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
rm -f "$CONTEXT/base/rootfs/app/libcoreclrtraceptprovider.so"

# What the runtime loads from the system: what ldd reports, plus OpenSSL (AES-GCM, hashing; Npgsql).
root="$CONTEXT/base/rootfs"
for lib in $( (ldd "$root/app/libcoreclr.so" "$root/app/Trinity.Orchestrator" "$root/app/libSystem.Native.so" \
      "$root/app/libSystem.Security.Cryptography.Native.OpenSsl.so" | awk '/=>/ {print $3} /ld-linux/ {print $1}'; \
    ls /usr/lib/x86_64-linux-gnu/libssl.so.3 /usr/lib/x86_64-linux-gnu/libcrypto.so.3) | sort -u); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
mkdir -p "$root/etc" "$root/tmp"
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/nonexistent\ntrinity:x:10001:10001:trinity:/nonexistent:/nonexistent\n' >"$root/etc/passwd"
printf 'root:x:0:\ntrinity:x:10001:\n' >"$root/etc/group"
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
