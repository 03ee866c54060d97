# Trinity.Messaging — the commands a newcomer runs. Each installs and starts what it needs and is safe to run twice.
SHELL := /bin/bash
CONFIGURATION ?= Release
RESULTS := artifacts/test-results

.PHONY: help demo up down cluster cluster-down services build agent-image images test chaos bench clean

help:
	@echo "make demo      the main job, start to end, in under 3 minutes: agents move subscriptions by hot-reload, no turn killed"
	@echo "make up        start the same system and leave it running: API on 127.0.0.1:8080, management UI on 127.0.0.1:15672; ./trinity talks to it"
	@echo "make down      stop what make up started (its database, keys and agent containers are kept for the next make up)"
	@echo "make cluster  the system on a 3-node RabbitMQ cluster on loopback, 2 Orchestrators, 2 workers, 2 Docker engines with a manager each, and the API; ~/.trinity/cluster.env says where"
	@echo "make cluster-down  stop what make cluster started and remove its nodes' data and its second engine"
	@echo "make test      install and start RabbitMQ, PostgreSQL, Redis and Docker (loopback only), build, run every test"
	@echo "make chaos     a seeded chaos run on services of its own: 50 agents, replicas, a random fault every 10-20 s, then the invariant checker (TRINITY_CHAOS_SECONDS, default 300; TRINITY_CHAOS_SEED); rewrites docs/reliability.md"
	@echo "make bench     measure hot-reload against recreate, a burst, a rollover and the machine's ceiling; writes docs/benchmarks.md (minutes; never in CI)"
	@echo "make services  only install and start the local services (credentials in ~/.trinity/local.env)"
	@echo "make build     build the solution ($(CONFIGURATION))"
	@echo "make agent-image  build trinity/agent:latest and :legacy (no registry needed)"
	@echo "make images    build the agent image and an image for every service (trinity/*; FROM scratch, nothing pulled)"

demo:
	@bash scripts/demo.sh

up:
	@bash scripts/up.sh

down:
	@bash scripts/up.sh down

cluster:
	@bash scripts/cluster.sh

cluster-down:
	@bash scripts/cluster.sh down

services:
	@bash scripts/local-services.sh

build:
	dotnet build Trinity.Messaging.sln -c $(CONFIGURATION) -warnaserror -nologo -v minimal

agent-image: services
	@bash docker/agent/build.sh

images: agent-image
	@bash docker/services/build.sh

test: services build images
	@rm -rf $(RESULTS)
	@set +e; \
	dotnet test Trinity.Messaging.sln -c $(CONFIGURATION) --no-build --nologo \
		--logger "trx" --logger "console;verbosity=normal" --results-directory $(RESULTS); \
	status=$$?; \
	python3 scripts/test-summary.py $(RESULTS) $$status

chaos: services build images
	@seed=$${TRINITY_CHAOS_SEED:-$$(shuf -i 1-999999 -n 1)}; seconds=$${TRINITY_CHAOS_SECONDS:-300}; \
	echo "chaos: seed $$seed, $$seconds s (TRINITY_CHAOS_SEED=$$seed reruns this schedule)"; \
	rm -f artifacts/chaos/summary.txt; \
	TRINITY_CHAOS_SEED=$$seed TRINITY_CHAOS_SECONDS=$$seconds TRINITY_CHAOS_DOCS=1 \
		dotnet test tests/Trinity.IntegrationTests -c $(CONFIGURATION) --no-build --nologo -v quiet \
		--filter "FullyQualifiedName~Trinity.IntegrationTests.Chaos" --logger "console;verbosity=minimal"; \
	status=$$?; \
	if [ -f artifacts/chaos/summary.txt ]; then cat artifacts/chaos/summary.txt; else echo "chaos: the run did not finish (see the test output above)"; fi; \
	exit $$status

bench:
	@./trinity bench all

clean:
	rm -rf artifacts
	dotnet clean Trinity.Messaging.sln -nologo -v quiet
