# A thin front door over meson. `make demo` and `make test` work on a fresh Debian 12 machine:
# both install what is missing with apt-get first (tools/install-deps.sh).

BUILD   ?= build
# Debian's interpreter: the one with python3-gi and python3-gst-1.0.
PYTHON  ?= /usr/bin/python3
MESON_SETUP_ARGS ?=
# Warnings as errors in every build made here; .ci/run sets it, so CI fails on a warning of
# gcc (BUILD) or clang (FUZZ_BUILD, CLANG_BUILD).
WERROR  ?= false

.PHONY: all deps build build-clang check-format test test-c test-py test-fuzz fuzz fuzz-build demo bench clean

all: build

deps:
	./tools/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) -Dwerror=$(WERROR) $(MESON_SETUP_ARGS)

build: deps $(BUILD)/build.ninja
	meson compile -C $(BUILD)

# Every test: the house style first (a file out of it fails at once, naming the file), then
# the gst-check C suites through meson, the pytest suites, a short fuzz pass.
test: build
	$(MAKE) --no-print-directory check-format test-c test-py test-fuzz

# The C style (docs/design.md, "Code style"); `tools/check-format.sh --fix` applies it.
check-format: deps
	./tools/check-format.sh

test-c:
	meson test -C $(BUILD) --print-errorlogs --num-processes 2
	meson test -C $(BUILD) --print-errorlogs --num-processes 2 --setup valgrind --suite memcheck

test-py:
	./tools/run-pytest.sh $(BUILD) $(PYTHON)

# The libFuzzer targets live in a clang build of their own (tests/fuzz/README.md).
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 300
$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=enabled -Dwerror=$(WERROR)

fuzz-build: deps $(FUZZ_BUILD)/build.ninja
	meson compile -C $(FUZZ_BUILD)

# In `make test` (and so in CI): the server-less unit suites under ASan + UBSan, then a
# short pass of every fuzz target; `make fuzz` runs each target for longer.
test-fuzz: fuzz-build
	meson test -C $(FUZZ_BUILD) --print-errorlogs --num-processes 2 --suite memcheck
	./tools/run-fuzz.sh $(FUZZ_BUILD) 15

fuzz: fuzz-build
	./tools/run-fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# All of the tree compiled by clang (the fuzz build has only the api layer and the unit
# suites): its warnings are not gcc's. Compiled, not run: the gcc build's suites run.
CLANG_BUILD ?= build-clang
$(CLANG_BUILD)/build.ninja:
	CC=clang meson setup $(CLANG_BUILD) -Dwerror=$(WERROR)

build-clang: deps $(CLANG_BUILD)/build.ninja
	meson compile -C $(CLANG_BUILD)

demo: build
	./tools/demo.sh $(BUILD)

# Speed and memory, by hand: see tests/bench/README.md.
bench: build
	$(PYTHON) tests/bench/bench_image2video.py $(BUILD)
	$(PYTHON) tests/bench/bench_batch_poll.py $(BUILD)

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD) $(CLANG_BUILD) demo.mp4
