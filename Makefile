# Front door for people and CI. Everything real lives in CMake and scripts/.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build test demo bench asan clean format soak fuzz install package

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# Everything but the soak runs (label soak: `make soak`).
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600 -LE soak

# Only the binary and the example targets the demo runs: first output fast.
demo: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target demo_targets
	@scripts/demo $(BUILD)

# The binary, man pages and completions under PREFIX (default /usr/local).
install: build
	cmake --install $(BUILD) $(if $(PREFIX),--prefix $(PREFIX))

# A .deb of the same (CPack, dependencies from dpkg-shlibdeps), in $(BUILD).
package: build
	cmake --build $(BUILD) --target package

bench: build
	@bench/run $(BUILD)

# Sanitizer build (ASan + UBSan) with its own build directory.
asan:
	$(MAKE) test BUILD=build-asan CMAKE_FLAGS=-DCOROSTACK_SANITIZE=ON

# libFuzzer targets (fuzz/, docs/reliability.md): clang 19 build in its own
# directory, then each fuzzer for FUZZ_SECONDS, one after the other. New
# inputs go to $(FUZZ_BUILD)/corpus/<target>, crashes to $(FUZZ_BUILD)/artifacts;
# copy the ones worth keeping (every crash fixed) into fuzz/corpus/<target>.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= fuzz_core_file fuzz_proc_parsers fuzz_python_walker fuzz_asyncio_walker fuzz_coro fuzz_renderers fuzz_profile_writers fuzz_syscall_decoders fuzz_doctor fuzz_variables fuzz_bpf_record
fuzz:
	@scripts/install-deps --fuzz
	CC=clang-19 CXX=clang++-19 cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCOROSTACK_FUZZ=ON -DCOROSTACK_WERROR=OFF -DCOROSTACK_BENCH=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target corostack_fuzzers
	@fail=0; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts; \
	  echo "== $$t: $(FUZZ_SECONDS) s"; \
	  $(FUZZ_BUILD)/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t- \
	    $(FUZZ_BUILD)/corpus/$$t fuzz/corpus/$$t || fail=1; \
	done; exit $$fail

# Long reliability runs (docs/reliability.md): kill tests, 10 000 threads, churn.
soak: build
	cd $(BUILD) && ctest --output-on-failure -L soak

format:
	find src tests bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-asan build-fuzz
