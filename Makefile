# Trinity.Messaging — the commands a newcomer runs. Each installs and starts what it needs and is safe to run twice.
SHELL := /bin/bash
CONFIGURATION ?= Release
RESULTS := artifacts/test-results

.PHONY: help demo services build agent-image test clean

help:
	@echo "make demo      the main job, start to end, in under 3 minutes: agents move subscriptions by hot-reload, no turn killed"
	@echo "make test      install and start RabbitMQ, PostgreSQL, Redis and Docker (loopback only), build, run every test"
	@echo "make services  only install and start the local services (credentials in ~/.trinity/local.env)"
	@echo "make build     build the solution ($(CONFIGURATION))"
	@echo "make agent-image  build trinity/agent:latest and :legacy (no registry needed)"

demo:
	@bash scripts/demo.sh

services:
	@bash scripts/local-services.sh

build:
	dotnet build Trinity.Messaging.sln -c $(CONFIGURATION) -warnaserror -nologo -v minimal

agent-image: services
	@bash docker/agent/build.sh

test: services build agent-image
	@rm -rf $(RESULTS)
	@set +e; \
	dotnet test Trinity.Messaging.sln -c $(CONFIGURATION) --no-build --nologo \
		--logger "trx" --logger "console;verbosity=normal" --results-directory $(RESULTS); \
	status=$$?; \
	python3 scripts/test-summary.py $(RESULTS) $$status

clean:
	rm -rf artifacts
	dotnet clean Trinity.Messaging.sln -nologo -v quiet
