# lambda-mangopay: build, test and run the Lambda functions.
SHELL := /bin/bash
GO ?= go
export CGO_ENABLED := 0

GOFILES = $(shell git ls-files -co --exclude-standard '*.go')

.PHONY: test check fmt vet lint-template deps-node fuzz help

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

FUZZTIME ?= 5m
fuzz: ## run every fuzz target for FUZZTIME each
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test $$pkg -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) || exit 1; \
	  done; \
	done
