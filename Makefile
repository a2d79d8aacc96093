# groupsync — build, test, demo. Every target works on a fresh machine: the
# scripts install what they need (npm packages, tools) themselves.
SHELL := /bin/bash
GO ?= go
BIN := bin/groupsync

.PHONY: chaos all build test vet fmt-check lint release peers demo demo-cloud demo-ldap bench tf-check fuzz clean

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

# make lint: go.mod tidy (go mod tidy -diff) and staticcheck, which is
# built once from the module proxy into ~/.cache/groupsync.
lint:
	bash scripts/lint.sh

# make release: static binaries for linux and darwin on amd64 and arm64 in
# dist/, with SHA256SUMS. VERSION defaults to `git describe`.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64
release:
	rm -rf dist && mkdir -p dist
	@set -e; for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; out=dist/groupsync_$(VERSION)_$${os}_$${arch}; \
		echo "build $$out"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath \
			-ldflags "-s -w -X main.releaseVersion=$(VERSION)" -o $$out ./cmd/groupsync; \
	done
	cd dist && sha256sum groupsync_* > SHA256SUMS && cat SHA256SUMS

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './scripts/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# The third-party SCIM server the target tests run against.
peers:
	@if [ ! -d scripts/scim-server/node_modules ]; then npm ci --prefix scripts/scim-server --no-audit --no-fund; fi
	bash scripts/slapd.sh install
	bash scripts/chromium.sh install

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

# make fuzz: every fuzz target for FUZZTIME each (default 60s). make test
# already runs their seed corpora (testdata/fuzz) as plain tests.
fuzz:
	FUZZTIME=$(or $(FUZZTIME),60s) bash scripts/fuzz.sh

# make tf-check: terraform fmt/validate and tflint, offline.
tf-check:
	bash scripts/tf-check.sh

clean:
	rm -rf bin dist
