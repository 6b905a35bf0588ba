# perry-container — see README.md. `make` builds; `make test` runs every layer.
GO      ?= go
BUILD   := build
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GOSRC   := $(shell find . -name '*.go' -not -path './build/*') go.mod go.sum
LIBSO   := $(BUILD)/libperrycontainer.so
LIBA    := $(BUILD)/libperrycontainer.a
HEADER  := $(BUILD)/include/perry_container.h
export CGO_ENABLED := 1

.PHONY: all deps engine test-image test test-go test-c test-hosts test-symbols check-contract props runtimes test-diff node perry-package demo bench fuzz clean sweep install

all: $(LIBSO) $(LIBA) $(BUILD)/perry-compose $(HEADER)

# Release builds drop the symbol table and DWARF (-s -w): 38 → 28 MB and a
# faster dlopen; panics still print function names and lines (pclntab stays).
# RELEASE_LDFLAGS= keeps them for a debugger.
RELEASE_LDFLAGS ?= -s -w

$(LIBSO): $(GOSRC) ffi/exports.map
	$(GO) build -buildmode=c-shared -ldflags "$(RELEASE_LDFLAGS) -extldflags=-Wl,--version-script=$(CURDIR)/ffi/exports.map" -o $@ ./ffi
	@rm -f $(BUILD)/libperrycontainer.h

$(LIBA): $(GOSRC)
	$(GO) build -buildmode=c-archive -o $@ ./ffi
	@rm -f $(BUILD)/libperrycontainer.h

$(BUILD)/perry-compose: $(GOSRC)
	$(GO) build -ldflags "$(RELEASE_LDFLAGS) -X main.version=$(VERSION)" -o $@ ./cmd/perry-compose

$(HEADER): include/perry_container.h
	@mkdir -p $(dir $@)
	cp $< $@

# deps installs what a fresh machine of this kind lacks (Debian packages).
deps:
	@bash tests/deps.sh

# engine fails clearly when the Docker Engine does not answer.
engine:
	@if [ "$$PERRY_SKIP_ENGINE_TESTS" = 1 ]; then echo "engine tests skipped (PERRY_SKIP_ENGINE_TESTS=1)"; \
	elif ! docker info >/dev/null 2>&1; then \
	  echo "error: the Docker Engine does not answer (docker info failed). Start it, or set PERRY_SKIP_ENGINE_TESTS=1 to skip engine tests." >&2; exit 1; fi

test-image: deps engine
	@if [ "$$PERRY_SKIP_ENGINE_TESTS" != 1 ]; then bash tests/image/build.sh; fi

# test runs every layer: Go (race) incl. property, functional, conformance and
# engine integration tests, the symbol check, the C harness (CTest), the
# dlopen host (Python ctypes) and the static host, the Node host (the
# TypeScript module over the addon) and the Perry adapter against its model.
test: deps test-image all node
	bash tests/run-all.sh

test-go: test-image
	bash tests/run-all.sh go

test-c: all
	bash tests/run-all.sh c

test-hosts: all
	bash tests/run-all.sh hosts

test-symbols: all
	bash tests/check-symbols.sh $(LIBSO) include/perry_container.h

# runtimes installs and configures podman and nerdctl beside Docker (podman
# from Debian with runc; nerdctl built from the Go module proxy, on Docker's
# containerd in a namespace of its own) and loads the test image into each.
# Idempotent; `make test` runs the podman and nerdctl suites when they are
# there and lists them as skipped otherwise. CI runs it first.
runtimes: test-image
	bash tests/runtimes/install.sh

# node builds build/node/: the TypeScript module (perry/container,
# perry/compose, perry/workloads) and its Node-API addon over the .so.
node: $(LIBSO) $(HEADER)
	bash node/build.sh

# perry-package assembles the Perry native-library package (packaging/perry).
perry-package: $(LIBSO) $(LIBA)
	bash packaging/perry/build.sh

# test-diff runs every scenario of the differential suite (tests/diff)
# against docker compose v5.6.0 on the Docker Engine; make test samples 20.
test-diff: test-image
	bash bench/build-peer.sh
	PERRY_CONTAINER_BACKEND=docker DIFF_SAMPLE=all DIFF_REQUIRE_PEER=1 $(GO) test -count=1 -timeout 60m ./tests/diff/

# check-contract: the header, the library's symbols, ffi/, core/, the d.ts
# and the WIT agree (also part of the Go layer of `make test`).
check-contract: $(LIBSO)
	$(GO) run ./tests/contract/cmd/check-contract $(LIBSO)

# props runs every rapid property with PROPS_CHECKS checks (CI runs 100);
# committed failure files under testdata/rapid/ replay first.
PROPS_CHECKS ?= 10000
props: test-image
	bash tests/props.sh $(PROPS_CHECKS)

sweep:
	@bash tests/sweep.sh
	@bash tests/runtimes/sweep.sh

demo: deps test-image all
	bash examples/demo.sh

# bench needs the library; it builds perry-compose and the docker compose peer
# itself when they are missing (the peer once, ≈10 min) and skips what fails.
bench: deps test-image $(LIBSO) $(HEADER)
	bash bench/run.sh

fuzz:
	bash tests/fuzz.sh

install: all
	cmake -S . -B $(BUILD)/cmake -DPERRY_PREBUILT_DIR=$(CURDIR)/$(BUILD) >/dev/null
	cmake --install $(BUILD)/cmake $(if $(PREFIX),--prefix $(PREFIX))

clean:
	rm -rf $(BUILD)
