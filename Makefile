# Front door for people and CI. Everything real lives in CMake and scripts/.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build test demo bench asan clean format soak

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

demo: build
	@scripts/demo $(BUILD)

bench: build
	@bench/run $(BUILD)

# Sanitizer build (ASan + UBSan) with its own build directory.
asan:
	$(MAKE) test BUILD=build-asan CMAKE_FLAGS=-DCOROSTACK_SANITIZE=ON

soak: build
	cd $(BUILD) && ctest --output-on-failure -L soak

format:
	find src tests bench -name '*.cpp' -o -name '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-asan
