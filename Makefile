# lambda-mangopay: build, test and run the Lambda functions.
SHELL := /bin/bash
GO ?= go
export CGO_ENABLED := 0

GOFILES = $(shell git ls-files -co --exclude-standard '*.go')

.PHONY: test check fmt vet lint-template deps-node fuzz help build clean-build bench FORCE

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

clean-build: ## remove build/ and .aws-sam/
	rm -rf build .aws-sam

FORCE:

bench: ## measure cold starts, sizes, round trips, overhead, memory and re-check scaling into BENCHMARKS.md/.json
	$(GO) run ./cmd/bench -root .

FUZZTIME ?= 5m
fuzz: ## run every fuzz target for FUZZTIME each
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test $$pkg -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) || exit 1; \
	  done; \
	done
