# Quick start: `make demo`, then `make check`. Both install missing Debian
# packages first. BUILD and CMAKE_FLAGS may be overridden, e.g.
#   make check CMAKE_FLAGS=-DMEDSEG_CUDA=OFF
BUILD ?= build
ASAN_BUILD ?= build-asan
UBSAN_BUILD ?= build-ubsan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
CLANG_FLAGS = -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 -DMEDSEG_TORCH=OFF -DMEDSEG_CUDA=OFF
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)

PREFIX ?= /usr/local

.PHONY: all deps build demo check check-asan check-ubsan fuzz bench clean install package

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The command, libmedseg (soname 0) and its plugin, headers, man pages,
# pkg-config and CMake package files under PREFIX.
install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

# A .deb of the same (CPack; dependencies from dpkg-shlibdeps) in $(BUILD).
package: build
	@cd $(BUILD) && cpack -G DEB

demo: build
	@./scripts/demo.sh $(BUILD)/cli/medseg

check: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The same tests under AddressSanitizer + UndefinedBehaviorSanitizer (CI).
check-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Asan $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS) -LE slow

# clang's UBSan with float-cast-overflow over the same tests (CI).
check-ubsan: deps
	@cmake -S . -B $(UBSAN_BUILD) -DCMAKE_BUILD_TYPE=Ubsan $(CLANG_FLAGS) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(UBSAN_BUILD) -j $(JOBS)
	@cd $(UBSAN_BUILD) && UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS) -LE slow

# libFuzzer harnesses (tests/fuzz/), each for FUZZ_SECONDS; needs make build
# for the seed phantoms.
fuzz: build
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Fuzz $(CLANG_FLAGS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_nifti fuzz_nifti_gz fuzz_dicom fuzz_csv fuzz_json
	@./scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build
	@./tests/bench/run.sh $(BUILD)/cli/medseg
	@./tests/bench/ops.sh $(BUILD)
	@./tests/bench/io.sh $(BUILD)
	@./tests/bench/prepare.sh $(BUILD)
	@/usr/bin/python3 tests/bench/segment_methods.py $(BUILD)/cli/medseg
	@./tests/bench/validate.sh $(BUILD)
	@./tests/bench/detect.sh $(BUILD)/cli/medseg
	@./tests/bench/propagate.sh $(BUILD)/cli/medseg
	@./tests/bench/classify.sh $(BUILD)/cli/medseg
	@./tests/bench/rag.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(UBSAN_BUILD) $(FUZZ_BUILD)
