#!/usr/bin/env bash
# Builds trinity/agent:latest (and trinity/agent:legacy, an image "from before" the reload endpoint, for the
# fallback tests; and trinity/agent:reference, whose server answers exactly as the reference platform's does: the
# reload endpoint alone, no key, no fence, no fingerprint — for the adoption tests and for operators to try) without pulling anything: a self-contained publish plus the few shared libraries the .NET
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
# shellcheck source=docker/runtime-libraries.sh
source docker/runtime-libraries.sh
copy_runtime_libraries "$CONTEXT/rootfs" Trinity.AgentServer
add_user "$CONTEXT/rootfs" developer 1000 /home/developer
# Owned by the agent user: the override file's directory (writable layer) and the workspace mount point.
mkdir -p "$CONTEXT/owned/var/lib/trinity" "$CONTEXT/owned/home/developer"
chmod 700 "$CONTEXT/owned/var/lib/trinity"

cp docker/agent/Dockerfile "$CONTEXT/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t trinity/agent:latest "$CONTEXT" >/dev/null
DOCKER_BUILDKIT=0 docker build -q -t trinity/agent:legacy --build-arg RELOAD_ENDPOINT=false "$CONTEXT" >/dev/null
DOCKER_BUILDKIT=0 docker build -q -t trinity/agent:reference --build-arg PROTOCOL=Reference "$CONTEXT" >/dev/null
docker image ls trinity/agent --format '{{.Repository}}:{{.Tag}} {{.Size}}'
