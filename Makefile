# The two entry points of the README: `make demo` and `make test`.
# Both install missing Debian packages first (idempotent, quick when
# everything is present), then configure and build.

BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
# Debian packages the build, tests and demo need.
DEB_PACKAGES := g++ cmake ninja-build pkg-config libboost-dev libgtest-dev libpcap-dev \
	python3 python3-venv python3-dev iproute2

.PHONY: all deps configure build test test-cpp test-python test-interop demo bench clean

all: build

deps:
	@./scripts/install-deps $(DEB_PACKAGES)

configure: deps
	@if [ ! -f $(BUILD_DIR)/build.ninja ]; then \
		cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE); \
	fi

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test-cpp: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# Builds and installs the Python package into build/test-venv, then pytest
test-python: build
	./tests/python/run $(BUILD_DIR)

test-interop: build
	./tests/interop/run $(BUILD_DIR)

test: test-cpp test-python test-interop

demo: build
	./bench/demo $(BUILD_DIR)

bench: build
	./bench/send_bench $(BUILD_DIR)
	./bench/recv_bench $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
