# groupsync — build, test, demo. Every target works on a fresh machine: the
# scripts install what they need (npm packages, tools) themselves.
SHELL := /bin/bash
GO ?= go
BIN := bin/groupsync

.PHONY: chaos all build test vet fmt-check peers demo demo-cloud demo-ldap bench tf-check clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/groupsync

# make test: vet, gofmt check, then the whole suite under the race detector.
# The SCIM peer (npm scimmy) is installed first so its tests run instead of
# skipping; the Firestore and Pub/Sub emulators are started by the tests.
test: vet fmt-check peers
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './scripts/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# The third-party SCIM server the target tests run against.
peers:
	@if [ ! -d scripts/scim-server/node_modules ]; then npm ci --prefix scripts/scim-server --no-audit --no-fund; fi
	bash scripts/slapd.sh install

# make demo: the real pipeline against local stand-ins for Google and a SCIM app.
demo: build peers
	bash scripts/demo.sh

# make demo-cloud: the serverless pipeline (the Cloud Functions under the
# Functions Framework, the Firestore and Pub/Sub emulators) against the same
# local stand-ins.
demo-cloud: build peers
	bash scripts/demo-cloud.sh

# make demo-ldap: the same tour from a local slapd seeded from LDIF.
demo-ldap: build peers
	bash scripts/demo-ldap.sh

# make chaos: randomised runs under injected faults on both runners, with the
# safety invariants checked after each (make test runs a short version).
CHAOS_ROUNDS ?= 40
CHAOS_SEED ?= 1
chaos: peers
	set -o pipefail; CHAOS_REPORT=$${CHAOS_REPORT:-chaos-report.md} $(GO) test -count=1 -timeout 90m ./internal/chaos -run TestChaos -chaos.rounds=$(CHAOS_ROUNDS) -chaos.seed=$(CHAOS_SEED) -v | grep -v '^=== RUN'

# make bench: benchmarks; the table goes to docs/benchmarks.md.
bench: peers
	bash scripts/bench.sh

# make tf-check: terraform fmt/validate and tflint, offline.
tf-check:
	bash scripts/tf-check.sh

clean:
	rm -rf bin
