# plait: the two commands a new user needs are `make run` and `make test` (see README.md).
JOBS ?= $(shell nproc)
BUILD ?= build
DEMO_CRATE ?= $(firstword $(wildcard /usr/share/cargo/registry/syn-1.*))

.PHONY: deps deps-bench build run test bench clean

deps:
	@scripts/setup.sh build

deps-bench:
	@scripts/setup.sh bench

$(BUILD)/Makefile: CMakeLists.txt
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: deps $(BUILD)/Makefile
	@cmake --build $(BUILD) -j$(JOBS) 2>&1 | grep -E 'error|warning' || true
	@test -x $(BUILD)/src/cli/plait

# Index a real Rust crate (Debian's syn) into build/demo/.plait (with vectors from the local
# model) and answer queries: find, show, callers, a hybrid search.
run: build
	@$(BUILD)/src/cli/plait index $(DEMO_CRATE) --db $(BUILD)/demo/.plait
	@$(BUILD)/src/cli/plait status --db $(BUILD)/demo/.plait
	@$(BUILD)/src/cli/plait find Punctuated --db $(BUILD)/demo/.plait
	@$(BUILD)/src/cli/plait show syn::punctuated::Punctuated --db $(BUILD)/demo/.plait | head -40
	@$(BUILD)/src/cli/plait callers syn::parse_str --db $(BUILD)/demo/.plait | head -10
	@$(BUILD)/src/cli/plait search "parse a string of Rust code into a syntax tree" --k 5 --db $(BUILD)/demo/.plait

test: deps
	@scripts/test.sh

bench: deps-bench build
	@bench/run.sh

clean:
	rm -rf build build-*
