# lambda-mangopay: build, test and run the Lambda functions.
SHELL := /bin/bash
GO ?= go
export CGO_ENABLED := 0

GOFILES = $(shell git ls-files -co --exclude-standard '*.go')

.PHONY: test check fmt vet lint-template deps-node fuzz fuzz-short chaos bench help build clean-build zoneinfo run demo invoke local-cli FORCE

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

test: check lint-template deps-node ## gofmt, vet, cfn-lint and every test (tests start moto_server and the fake themselves)
	$(GO) test -count=1 ./...

check: fmt vet ## gofmt and go vet

fmt:
	@out=$$(gofmt -l $(GOFILES)); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

lint-template: ## cfn-lint template.yaml (install: pip install cfn-lint)
	@command -v cfn-lint >/dev/null || { echo "cfn-lint not found: pip install cfn-lint"; exit 1; }
	cfn-lint template.yaml

deps-node: tools/nodesdk/node_modules/.package-lock.json ## install Mangopay's Node SDK for the compatibility test

tools/nodesdk/node_modules/.package-lock.json: tools/nodesdk/package-lock.json
	npm ci --prefix tools/nodesdk --no-audit --no-fund --loglevel=error

# ---- Build: one arm64 bootstrap per folder of functions/, exactly as `sam build` makes it.
# `make build` writes build/<name>/bootstrap for every function (in parallel: make -jN build).
# `sam build` (Metadata BuildMethod: makefile, CodeUri: .) runs build-<LogicalId> with ARTIFACTS_DIR
# set; the logical id is the folder's name in CamelCase plus Function (create-natural-user is
# CreateNaturalUserFunction), so a new folder needs no change here.
FUNCTIONS := $(sort $(patsubst functions/%/main.go,%,$(wildcard functions/*/main.go)))
LAMBDA_GOENV := GOOS=linux GOARCH=arm64 CGO_ENABLED=0
LAMBDA_GOFLAGS := -tags lambda.norpc -trimpath -ldflags '-s -w'

build: $(FUNCTIONS:%=build/%/bootstrap) ## build every function's arm64 bootstrap into build/<name>/
	@ls -l $^ | awk '{printf "%6.1f MiB  %s\n", $$5/1048576, $$NF}'

build/%/bootstrap: FORCE
	$(LAMBDA_GOENV) $(GO) build $(LAMBDA_GOFLAGS) -o $@ ./functions/$*

# build-CreateNaturalUserFunction -> ./functions/create-natural-user
build-%Function:
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set: this target is for sam build (use make build)"; exit 1; }
	@dir=functions/$$(echo '$*' | sed -E 's/([a-z0-9])([A-Z])/\1-\2/g' | tr '[:upper:]' '[:lower:]'); \
	test -f $$dir/main.go || { echo "build-$*Function: no $$dir/main.go"; exit 1; }; \
	echo "$(LAMBDA_GOENV) $(GO) build $(LAMBDA_GOFLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./$$dir"; \
	$(LAMBDA_GOENV) $(GO) build $(LAMBDA_GOFLAGS) -o "$(ARTIFACTS_DIR)/bootstrap" ./$$dir

# The re-check calendar's time zones embedded in the binaries (internal/schedule/zoneinfo/): copied
# from this toolchain's $(go env GOROOT)/lib/time/zoneinfo.zip; the zone list is the go:generate line
# in internal/schedule/zoneinfo.go. Run after a Go upgrade (TestEmbeddedZonesMatchTheToolchain says when).
zoneinfo: ## refresh the time zones embedded in the re-check functions from Go's zoneinfo.zip
	$(GO) generate ./internal/schedule

clean-build: ## remove build/ and .aws-sam/
	rm -rf build .aws-sam

FORCE:

# ---- Local: the function set on this machine as in AWS (internal/local), no Docker.
# moto_server for AWS, the fake Mangopay (unless MANGOPAY_BASE_URL, MANGOPAY_CLIENT_ID and
# MANGOPAY_API_KEY are set), the real bootstrap binaries (host arch) through a local Lambda Runtime API.
LOCAL_CLI := build/local/lambda-local

local-cli:
	@$(GO) build -o $(LOCAL_CLI) ./cmd/lambda-local

run: local-cli ## serve the functions on 127.0.0.1:3000 (ADDR=127.0.0.1:PORT, V=1 for their logs) until Ctrl-C
	@$(LOCAL_CLI) run $(if $(ADDR),-addr $(ADDR)) $(if $(V),-v)

demo: local-cli ## start the local stack, run the marketplace story through its API, check it, stop
	@$(LOCAL_CLI) demo $(if $(V),-v)

invoke: local-cli ## run one function's binary on an event: make invoke FN=get-wallet EVENT=events/get-wallet.json [VARS='WALLET_ID=wlt_...']
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<function> EVENT=events/<file>.json [VARS='NAME=value,...']"; exit 2; }
	@$(LOCAL_CLI) invoke -fn $(FN) -event $(EVENT) $(if $(VARS),-vars '$(VARS)') $(if $(V),-v)

bench: deps-node ## measure cold starts, sizes, round trips, overhead, memory, re-check scaling and the Node SDK peer comparison into BENCHMARKS.md/.json (under 10 min)
	$(GO) run ./cmd/bench -root .

FUZZTIME ?= 5m
FUZZ_PACKAGES ?= ./...
FUZZ_TARGETS ?= .
# With CHAOS_REPORT_DIR set, the figures go to $(CHAOS_REPORT_DIR)/51-fuzz.md (for RELIABILITY.md).
fuzz: ## run every fuzz target for FUZZTIME each (filters: FUZZ_PACKAGES, FUZZ_TARGETS regexp)
	@report=""; for pkg in $$($(GO) list $(FUZZ_PACKAGES)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' | grep -E '$(FUZZ_TARGETS)'); do \
	    echo "== $$pkg $$f"; \
	    out=$$($(GO) test $$pkg -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) 2>&1 | tee /dev/stderr; exit $${PIPESTATUS[0]}) || exit 1; \
	    execs=$$(echo "$$out" | grep -o 'execs: [0-9]*' | tail -1 | cut -d' ' -f2); \
	    report="$$report| \`$$f\` | \`$${pkg##*/lambda-mangopay/}\` | $(FUZZTIME) | $${execs:-?} | 0 |\n"; \
	  done; \
	done; \
	if [ -n "$$CHAOS_REPORT_DIR" ]; then mkdir -p "$$CHAOS_REPORT_DIR"; \
	  printf '### Fuzz targets\n\n`make fuzz FUZZTIME=$(FUZZTIME)`: each target ran for $(FUZZTIME) with `go test -fuzz` and found nothing (a failure stops the run). Their seed corpora (f.Add and testdata/fuzz) also run in `make test`.\n\n| target | package | time | executions | failures |\n|---|---|---|---|---|\n'"$$report" > "$$CHAOS_REPORT_DIR/51-fuzz.md"; fi

fuzz-short: ## every fuzz target for 30 s each (the form make chaos runs)
	$(MAKE) fuzz FUZZTIME=30s

# ---- Reliability suite (RELIABILITY.md): the scenarios make test runs in short form, at the issue's
# full size (CHAOS_LONG=1), plus the bad-input, security and load tests and every fuzz target for
# 30 s. Each writes its figures to $(CHAOS_DIR)/NN-name.md; the report is assembled even when a
# scenario fails (marked in it), and then make chaos fails.
CHAOS_DIR ?= build/chaos
chaos: deps-node ## the long reliability suite (about 15 min on 2 cores); rewrites RELIABILITY.md
	rm -rf $(CHAOS_DIR) && mkdir -p $(CHAOS_DIR)
	@export CHAOS_LONG=1 CHAOS_REPORT_DIR=$(abspath $(CHAOS_DIR)); status=0; \
	$(GO) test -count=1 -timeout 90m ./internal/chaos/ || status=1; \
	$(GO) test -count=1 -timeout 20m -run '^TestLoad$$' ./internal/local/ || status=1; \
	$(GO) test -count=1 -run 'TestBadInputIsRefusedAndWritesNothing|TestForgedHookTokenTouchesNothing|TestReplayedHookCannotRollBackARecord' ./internal/operations/ || status=1; \
	$(GO) test -count=1 -run 'TestEverythingAtRestIsEncrypted|TestEvents' ./internal/deploy/ || status=1; \
	$(MAKE) --no-print-directory fuzz-short || status=1; \
	$(GO) run ./cmd/reliability-report -dir $(CHAOS_DIR) -out RELIABILITY.md; exit $$status
