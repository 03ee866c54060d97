#!/usr/bin/env bash
# Builds trinity/agent:latest (and trinity/agent:legacy, an image "from before" the reload endpoint, for the
# fallback tests) without pulling anything: a self-contained publish plus the few shared libraries the .NET
# runtime loads, on an empty base.
set -euo pipefail
cd "$(dirname "$0")/../.."
CONTEXT=artifacts/images/agent
rm -rf "$CONTEXT" && mkdir -p "$CONTEXT/rootfs/app" "$CONTEXT/owned"

publish() {
  dotnet publish "$1" -c Release -r linux-x64 --self-contained -p:InvariantGlobalization=true \
    -p:DebugType=none -p:GenerateDocumentationFile=false -o "$CONTEXT/rootfs/app" -nologo -v quiet
}
publish services/Trinity.AgentServer/Trinity.AgentServer.csproj
# The stand-in CLI shares the runtime files; turns run it only when configured to (the default is `claude`).
publish tests/Trinity.FakeClaudeCli/Trinity.FakeClaudeCli.csproj
rm -f "$CONTEXT/rootfs/app/libcoreclrtraceptprovider.so"

# What the runtime needs from the system: what ldd reports, plus OpenSSL, which .NET loads at run time for
# hashing (fingerprints) and AES-GCM.
for lib in $( (ldd "$CONTEXT/rootfs/app/libcoreclr.so" "$CONTEXT/rootfs/app/Trinity.AgentServer" "$CONTEXT/rootfs/app/libSystem.Native.so" \
      "$CONTEXT/rootfs/app/libSystem.Security.Cryptography.Native.OpenSsl.so" | awk '/=>/ {print $3} /ld-linux/ {print $1}'; \
    ls /usr/lib/x86_64-linux-gnu/libssl.so.3 /usr/lib/x86_64-linux-gnu/libcrypto.so.3) | sort -u); do
  mkdir -p "$CONTEXT/rootfs$(dirname "$lib")"
  cp -L "$lib" "$CONTEXT/rootfs$lib"
done

mkdir -p "$CONTEXT/rootfs/etc" "$CONTEXT/rootfs/tmp"
chmod 1777 "$CONTEXT/rootfs/tmp"
printf 'root:x:0:0:root:/root:/nonexistent\ndeveloper:x:1000:1000:agent:/home/developer:/nonexistent\n' >"$CONTEXT/rootfs/etc/passwd"
printf 'root:x:0:\ndeveloper:x:1000:\n' >"$CONTEXT/rootfs/etc/group"
# Owned by the agent user: the override file's directory (writable layer) and the workspace mount point.
mkdir -p "$CONTEXT/owned/var/lib/trinity" "$CONTEXT/owned/home/developer"
chmod 700 "$CONTEXT/owned/var/lib/trinity"

cp docker/agent/Dockerfile "$CONTEXT/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t trinity/agent:latest "$CONTEXT" >/dev/null
DOCKER_BUILDKIT=0 docker build -q -t trinity/agent:legacy --build-arg RELOAD_ENDPOINT=false "$CONTEXT" >/dev/null
docker image ls trinity/agent --format '{{.Repository}}:{{.Tag}} {{.Size}}'
