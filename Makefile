# Test and benchmark entry points. `make test` is the command the README and CI run.
# It first runs scripts/install-test-deps.sh (idempotent: it installs only what is
# missing) for the third-party peers that the tests built with -tags interop drive;
# `make test SKIP_DEPS=1` leaves the machine as it is. Without the tag, `go test ./...`
# needs nothing but Go.

# Go lives in /usr/local/go/bin on the project's machines; a bare shell may lack it.
export PATH := $(PATH):/usr/local/go/bin
GO ?= go

# `go test ./...` in the go.work root covers the root module only, so the workspace
# modules are listed explicitly, each once it holds Go files.
WORKSPACE_MODULES := bench examples moduletest
has_go = $(shell find $(1) -name '*.go' -not -path '*/testdata/*' -print -quit 2>/dev/null)
PKGS := ./... $(foreach m,$(WORKSPACE_MODULES),$(if $(call has_go,$(m)),./$(m)/...))
BENCH_PKGS := ./... $(if $(call has_go,bench),./bench/...)

.PHONY: test fmt-check vet unit allocs bench test-deps

test: test-deps fmt-check vet unit allocs

fmt-check:
	@out="$$(gofmt -l .)"; \
	if [ -n "$$out" ]; then echo "gofmt -l lists files that need formatting:"; echo "$$out"; exit 1; fi

# Both builds: the one users get (no tag) must compile on its own, not only as a
# subset of the interop one.
vet:
	$(GO) vet $(PKGS)
	$(GO) vet -tags interop $(PKGS)

# smppconform's tests wait minutes on their peers' timers and use little CPU: they run in a
# go test of their own beside the rest (its output printed after), instead of queued behind
# the gateway's packages for a slot; the run fails if either fails.
CONFORM := ./examples/smppconform/...
UNIT_PKGS = $(filter-out ./examples/...,$(PKGS)) $(shell $(GO) list -tags interop ./examples/... | grep -v /examples/smppconform)
unit: test-deps
	@log=$$(mktemp); \
	$(GO) test -race -count=1 -timeout 20m -tags interop $(CONFORM) >"$$log" 2>&1 & conform=$$!; \
	echo "$(GO) test -race -count=1 -timeout 20m -tags interop $(PKGS): $(CONFORM) beside the rest, its output last"; \
	status=0; $(GO) test -race -count=1 -timeout 20m -tags interop $(UNIT_PKGS) || status=$$?; \
	wait $$conform || status=$$?; \
	cat "$$log"; rm -f "$$log"; exit $$status

# The race detector allocates: the library's allocation tests that count a whole connection's
# round trip are built without it (//go:build !race in server, session, client) and run here,
# in a build of their own, with the other allocation tests of the library.
allocs:
	$(GO) test -count=1 -run 'Allocs' ./...

# The benchmarks of README.md "Benchmarks", with its commands: the wire and text table, then
# the one-bind loopback tables (server and client side). Fixed counts and -benchtime bound
# the run (a few minutes on the project's 2-core machine); -timeout stops one that hangs.
# `make bench BENCH_COUNT=1` for a quick look.
BENCH_COUNT ?=
bench:
	cd bench && $(GO) test -run='^$$' -bench='Wire|Encoding' -benchmem -count=$(or $(BENCH_COUNT),5) -timeout 15m
	cd bench && $(GO) test -run='^$$' -bench='ServerSubmit|ClientSubmit' -benchtime=300000x -count=$(or $(BENCH_COUNT),3) -timeout 15m

test-deps:
ifeq ($(SKIP_DEPS),)
	bash scripts/install-test-deps.sh
else
	@echo "SKIP_DEPS is set: scripts/install-test-deps.sh not run"
endif
