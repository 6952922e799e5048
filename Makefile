# Quick start: `make demo`, then `make check`. Both install missing Debian
# packages first. BUILD and CMAKE_FLAGS may be overridden, e.g.
#   make check CMAKE_FLAGS=-DMEDSEG_CUDA=OFF
BUILD ?= build
ASAN_BUILD ?= build-asan
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)

.PHONY: all deps build demo check check-asan bench clean

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@./scripts/demo.sh $(BUILD)/cli/medseg

check: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The same tests under AddressSanitizer + UndefinedBehaviorSanitizer (CI).
check-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Asan $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -LE slow

bench: build
	@./tests/bench/run.sh $(BUILD)/cli/medseg
	@./tests/bench/ops.sh $(BUILD)
	@./tests/bench/prepare.sh $(BUILD)
	@/usr/bin/python3 tests/bench/segment_methods.py $(BUILD)/cli/medseg
	@./tests/bench/validate.sh $(BUILD)
	@./tests/bench/detect.sh $(BUILD)/cli/medseg
	@./tests/bench/propagate.sh $(BUILD)/cli/medseg

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
