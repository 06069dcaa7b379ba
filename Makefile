# The two commands: `make e2e` runs the suite against the stack, `make test`
# runs the project's own checks, the suite included.

# The reaper image cannot be pulled here; the suite removes what it starts.
export TESTCONTAINERS_RYUK_DISABLED := true
# Without it testcontainers may dial an address outside this machine.
export TESTCONTAINERS_HOST_OVERRIDE := 127.0.0.1

GO        ?= go
# LABELS picks specs by Ginkgo label, e.g. make e2e LABELS='MessageRead && tls'.
LABELS    ?=
ARTIFACTS := $(or $(E2E_ARTIFACTS),_artifacts)
NOTIFYCTL := bin/notifyctl
# Ginkgo's own timeout stays below anything that would kill the process, so
# cleanup always runs.
GINKGO    := $(GO) tool ginkgo --timeout=25m --poll-progress-after=60s $(if $(CI),--no-color) \
             --output-dir=$(ARTIFACTS) --junit-report=junit.xml --json-report=report.json

.PHONY: e2e test unit vet images clean notifyctl chromium selfcheck bench up down

e2e: notifyctl chromium
	@$(NOTIFYCTL) preflight
	$(GINKGO) $(if $(LABELS),--label-filter='$(LABELS)') $(GINKGO_FLAGS) ./e2e

test: vet unit e2e selfcheck

vet:
	$(GO) vet ./...

unit:
	$(GO) test -count=1 ./internal/... ./cmd/...

images: notifyctl
	@$(NOTIFYCTL) images

clean: notifyctl
	@$(NOTIFYCTL) clean

notifyctl:
	@$(GO) build -o $(NOTIFYCTL) ./cmd/notifyctl

# The browser specs drive Debian's chromium; as root it is installed when
# missing, otherwise those specs are skipped with a note saying so.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium for the browser specs"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
	      >/dev/null; \
	  else \
	    echo "chromium is missing: the browser specs will be skipped (apt-get install chromium)"; \
	  fi; }

# Working by hand: start the stack the suite starts and leave it running (it
# prints its addresses, tokens and example commands), then remove it.
up: notifyctl
	@$(NOTIFYCTL) preflight
	@$(NOTIFYCTL) up

down: notifyctl
	@$(NOTIFYCTL) down

# Measures delivery latency to each observer, and the framing parser's speed.
bench: notifyctl chromium
	@$(NOTIFYCTL) preflight
	@$(GINKGO) -v --label-filter=benchmark ./e2e > $(ARTIFACTS)/bench.txt 2>&1; rc=$$?; \
	  grep -A3 'observer ' $(ARTIFACTS)/bench.txt | head -4; \
	  [ $$rc -eq 0 ] || { echo "see $(ARTIFACTS)/bench.txt"; exit $$rc; }
	$(GO) test -run '^$$' -bench . -benchmem ./internal/framing

# Runs the suite against the good stack five times and against every fault
# in faults/catalogue.yaml; fails unless every fault is caught at its hop.
selfcheck: chromium
	$(GO) run ./cmd/selfcheck
