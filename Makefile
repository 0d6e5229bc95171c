# lambda-mangopay: build, test and run the Lambda functions.
SHELL := /bin/bash
GO ?= go
export CGO_ENABLED := 0

.PHONY: test check fmt vet unit bench fuzz-seeds lint-template

## test: gofmt and vet checks, cfn-lint, then every test (the tests start moto_server and the fake themselves).
test: check
	$(GO) test -count=1 ./...

check: fmt vet

fmt:
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
