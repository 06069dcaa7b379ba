# The two commands: `make e2e` runs the suite against the stack, `make test`
# runs the project's own checks, the suite included.

# The reaper image cannot be pulled here; the suite removes what it starts.
export TESTCONTAINERS_RYUK_DISABLED := true
# Without it testcontainers may dial an address outside this machine.
export TESTCONTAINERS_HOST_OVERRIDE := 127.0.0.1

GO        ?= go
ARTIFACTS := $(or $(E2E_ARTIFACTS),_artifacts)
NOTIFYCTL := bin/notifyctl
# Ginkgo's own timeout stays below anything that would kill the process, so
# cleanup always runs.
GINKGO    := $(GO) tool ginkgo --timeout=25m --poll-progress-after=60s \
             --output-dir=$(ARTIFACTS) --junit-report=junit.xml --json-report=report.json

.PHONY: e2e test unit vet images clean notifyctl

e2e: notifyctl
	@$(NOTIFYCTL) preflight
	$(GINKGO) $(GINKGO_FLAGS) ./e2e

test: vet unit e2e

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
