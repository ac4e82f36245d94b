# The two entry points of the README: `make demo` and `make test`.
# Both install missing Debian packages first (idempotent, quick when
# everything is present), then configure and build.

BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
# Debian packages the build, tests and demo need.
DEB_PACKAGES := g++ cmake ninja-build pkg-config libboost-dev libgtest-dev libpcap-dev liburing-dev libcli11-dev \
	python3 python3-venv python3-dev iproute2 nftables ethtool

.PHONY: all deps configure build lint format docs test-wheel test test-cpp test-sanitize test-tsan test-python test-interop test-spead2-suite demo bench plots fuzz soak clean

all: build

deps:
	@./scripts/install-deps $(DEB_PACKAGES)

configure: deps
	@if [ ! -f $(BUILD_DIR)/build.ninja ]; then \
		cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DLIGHTSPEAD_WERROR=ON; \
	fi

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Python scripts without a .py ending, for ruff
PY_SCRIPTS := bench/bitpack_bench bench/resync_bench bench/chunk_bench bench/chunk_group_bench bench/decode_bench bench/demo bench/recv_lossless bench/plots bench/tutorial_figures bench/tutorial_receivers bench/rate_accuracy bench/recv_bench bench/send_bench bench/soak tests/netns/udp_paths
CXX_SOURCES = git ls-files '*.cpp' '*.h' ':!tests/fuzz/corpus'

# Style and static checks: clang-format (check only), clang-tidy over the
# library and the tools, ruff over all Python, mypy over the package and the tutorial.
lint: configure
	@./scripts/install-deps clang-format clang-tidy
	@echo "== clang-format" && $(CXX_SOURCES) | xargs clang-format --dry-run --Werror
	@echo "== clang-tidy"; git ls-files 'src/*.cpp' 'tools/*.cpp' | \
		xargs -P $(JOBS) -n 4 clang-tidy -p $(BUILD_DIR) --quiet > $(BUILD_DIR)/clang-tidy.log 2>&1; \
		status=$$?; grep -v -e "warnings generated" -e "^Suppressed" -e "Use -header-filter" \
			-e "in non-user code" $(BUILD_DIR)/clang-tidy.log; exit $$status
	@bin=$$(./scripts/lint-venv $(BUILD_DIR)) && echo "== ruff" && $$bin/ruff check . $(PY_SCRIPTS) && \
		echo "== mypy" && $$bin/mypy

# Apply the C++ style and ruff's safe fixes.
format: deps
	@./scripts/install-deps clang-format
	$(CXX_SOURCES) | xargs clang-format -i
	@bin=$$(./scripts/lint-venv $(BUILD_DIR)) && $$bin/ruff check --fix . $(PY_SCRIPTS)

test-cpp: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# The C++ tests again under AddressSanitizer + UndefinedBehaviorSanitizer
test-sanitize: deps
	@if [ ! -f $(BUILD_DIR)-asan/build.ninja ]; then \
		cmake -S . -B $(BUILD_DIR)-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
			-DLIGHTSPEAD_SANITIZE=address,undefined -DLIGHTSPEAD_BUILD_BENCH=OFF -DLIGHTSPEAD_WERROR=ON; \
	fi
	cmake --build $(BUILD_DIR)-asan -j $(JOBS)
	ctest --test-dir $(BUILD_DIR)-asan --output-on-failure -j $(JOBS)

# ... and under ThreadSanitizer (not part of `make test`)
test-tsan: deps
	@if [ ! -f $(BUILD_DIR)-tsan/build.ninja ]; then \
		cmake -S . -B $(BUILD_DIR)-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
			-DLIGHTSPEAD_SANITIZE=thread -DLIGHTSPEAD_BUILD_BENCH=OFF -DLIGHTSPEAD_WERROR=ON; \
	fi
	cmake --build $(BUILD_DIR)-tsan -j $(JOBS)
	TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan.supp $$TSAN_OPTIONS" \
		ctest --test-dir $(BUILD_DIR)-tsan --output-on-failure -j $(JOBS)

# Fuzz every harness for FUZZ_SECONDS with libFuzzer, ASan and UBSan (clang).
# New interesting inputs land in $(BUILD_DIR)-fuzz/corpus/<harness>;
# crashes are written there as crash-* files.
FUZZ_SECONDS ?= 60
FUZZ_HARNESSES := packet descriptor stream chunk_stream framing captured_frame pcap
fuzz: deps
	@./scripts/install-deps clang libclang-rt-14-dev
	@if [ ! -f $(BUILD_DIR)-fuzz/build.ninja ]; then \
		CC=clang CXX=clang++ cmake -S . -B $(BUILD_DIR)-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
			-DLIGHTSPEAD_SANITIZE=address,undefined -DLIGHTSPEAD_LIBFUZZER=ON \
			-DLIGHTSPEAD_BUILD_BENCH=OFF -DLIGHTSPEAD_BUILD_EXAMPLES=OFF; \
	fi
	cmake --build $(BUILD_DIR)-fuzz -j $(JOBS) $(addprefix --target fuzz_,$(FUZZ_HARNESSES))
	@for h in $(FUZZ_HARNESSES); do \
		mkdir -p $(BUILD_DIR)-fuzz/corpus/$$h && \
		echo "== fuzz_$$h for $(FUZZ_SECONDS) s" && \
		(cd $(BUILD_DIR)-fuzz/corpus && ../tests/fuzz/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) \
			-print_final_stats=1 $$h $(CURDIR)/tests/fuzz/corpus/$$h 2>&1 | \
			grep -E "stat::number_of_executed_units|stat::new_units_added|ERROR|SUMMARY|Done") || exit 1; \
	done
	@# The Python-side harness (numpy headers, formats) with atheris
	@py=$$(./scripts/test-venv $(BUILD_DIR)) && $$py -m pip install --quiet --disable-pip-version-check atheris && \
		mkdir -p $(BUILD_DIR)-fuzz/corpus/items && echo "== fuzz_items.py for $(FUZZ_SECONDS) s" && \
		cd $(BUILD_DIR)-fuzz/corpus && $$py $(CURDIR)/tests/fuzz/fuzz_items.py --fuzz -max_total_time=$(FUZZ_SECONDS) \
			-print_final_stats=1 items $(CURDIR)/tests/fuzz/corpus/items 2>&1 | \
			grep -E "stat::number_of_executed_units|stat::new_units_added|Uncaught|ERROR|SUMMARY|Done"
	@! ls $(BUILD_DIR)-fuzz/corpus/crash-* 2>/dev/null || (echo "FAIL: the crash reproducers above need fixing"; exit 1)

# Builds and installs the Python package into build/test-venv, then pytest
test-python: build
	./tests/python/run $(BUILD_DIR)

# tshark runs the Wireshark dissector's tests (tests/interop/test_dissector.py)
test-interop: build
	@./scripts/install-deps tshark
	./tests/interop/run $(BUILD_DIR)

# spead2 4.5.1's own Python test suite against lightspead (lightspead.compat),
# gated by tests/interop/spead2_suite/expected.txt
test-spead2-suite: build
	./tests/interop/spead2_suite/run $(BUILD_DIR)

# The documentation site (Sphinx, furo theme, MyST markdown) into
# $(BUILD_DIR)/docs/html, with every warning an error (Doxygen's too: every
# public C++ name must be documented); then its doctests, and the checks of
# tests/docs/check_docs.py (every C++ or Python block in docs/ is included
# from a tested program or is a doctest; every public header has a page).
# The Python reference is read from the package installed in the test
# virtual environment, the C++ reference from Doxygen's XML (breathe).
DOCS_PACKAGES := sphinx==9.0.4 furo==2025.12.19 myst-parser==5.2.0 sphinx-design==0.8.0 breathe==5.1.0
docs: build
	@./scripts/install-deps doxygen
	@py=$$(./scripts/test-venv $(BUILD_DIR)) && \
		$$py -m pip install --quiet --disable-pip-version-check $(DOCS_PACKAGES) && \
		rm -rf $(BUILD_DIR)/docs && mkdir -p $(BUILD_DIR)/docs && \
		echo "== doxygen" && (cat docs/Doxyfile; echo "OUTPUT_DIRECTORY = $(BUILD_DIR)/docs/doxygen") | doxygen - && \
		export LIGHTSPEAD_DOXYGEN_XML=$(abspath $(BUILD_DIR))/docs/doxygen/xml && \
		echo "== sphinx html" && $$py -m sphinx -q -W --keep-going -b html docs $(BUILD_DIR)/docs/html && \
		echo "== sphinx doctest" && $$py -m sphinx -q -W --keep-going -b doctest docs $(BUILD_DIR)/docs/doctest && \
		$$py tests/docs/check_docs.py docs
	@echo "docs: $(BUILD_DIR)/docs/html/index.html"

# The Python distribution: sdist and wheel (python -m build), the wheel
# repaired by auditwheel and installed into a fresh virtual environment for
# a send/receive round trip, and the sdist failing clearly without Boost.
test-wheel: deps
	./tests/wheel/run $(BUILD_DIR)

test: lint test-cpp test-sanitize test-python test-interop test-spead2-suite test-wheel docs

# Finds the highest rate at which 64 MiB heaps arrive without loss over
# loopback, then streams the seed's 100 heaps paced below it and unpaced
demo: build
	./bench/demo $(BUILD_DIR)

# Send and receive benchmarks, beside spead2 4.5.1's own C++ programs (built
# once into $(BUILD_DIR)/spead2-cpp from its sdist by bench/spead2_cpp)
bench: build
	./bench/send_bench $(BUILD_DIR)
	./bench/decode_bench $(BUILD_DIR)
	./bench/recv_bench $(BUILD_DIR)
	./bench/recv_lossless $(BUILD_DIR)
	./bench/bitpack_bench $(BUILD_DIR)
	./bench/resync_bench $(BUILD_DIR)

# Send throughput against packet size and heap size, C++ and Python beside
# spead2 (PyPI), written to docs/plots/ (a few minutes)
plots: build
	@py=$$(./scripts/test-venv $(BUILD_DIR)) && $$py -m pip install --quiet --disable-pip-version-check matplotlib && \
		$$py bench/plots $(BUILD_DIR)

# Stream for SOAK_SECONDS through loopback, printing RSS over time
SOAK_SECONDS ?= 600
soak: build
	./bench/soak $(BUILD_DIR) --duration $(SOAK_SECONDS)

clean:
	rm -rf $(BUILD_DIR) $(BUILD_DIR)-asan $(BUILD_DIR)-tsan
