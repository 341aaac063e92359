# Test and benchmark entry points. `make test` is the command the README and CI run.
# It installs nothing: scripts/install-test-deps.sh installs the third-party peers.

# Go lives in /usr/local/go/bin on the project's machines; a bare shell may lack it.
export PATH := $(PATH):/usr/local/go/bin
GO ?= go

# `go test ./...` in the go.work root covers the root module only, so the workspace
# modules are listed explicitly, each once it holds Go files.
WORKSPACE_MODULES := bench examples
has_go = $(shell find $(1) -name '*.go' -not -path '*/testdata/*' -print -quit 2>/dev/null)
PKGS := ./... $(foreach m,$(WORKSPACE_MODULES),$(if $(call has_go,$(m)),./$(m)/...))
BENCH_PKGS := ./... $(if $(call has_go,bench),./bench/...)

.PHONY: test fmt-check vet unit bench test-deps

test: fmt-check vet unit

fmt-check:
	@out="$$(gofmt -l .)"; \
	if [ -n "$$out" ]; then echo "gofmt -l lists files that need formatting:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

unit:
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

# Placeholder until the benchmark table exists: every benchmark of the root and bench modules.
bench:
	$(GO) test -run='^$$' -bench=. -benchmem $(BENCH_PKGS)

test-deps:
	bash scripts/install-test-deps.sh
