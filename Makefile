# A thin front door over meson. `make demo` and `make test` work on a fresh Debian 12 machine:
# both install what is missing with apt-get first (tools/install-deps.sh).

BUILD   ?= build
# Debian's interpreter: the one with python3-gi and python3-gst-1.0.
PYTHON  ?= /usr/bin/python3
MESON_SETUP_ARGS ?=

.PHONY: all deps build test test-c test-py demo bench clean

all: build

deps:
	./tools/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_SETUP_ARGS)

build: deps $(BUILD)/build.ninja
	meson compile -C $(BUILD)

# Every test: the gst-check C suites through meson, then the pytest suites.
test: build
	$(MAKE) --no-print-directory test-c test-py

test-c:
	meson test -C $(BUILD) --print-errorlogs --num-processes 2
	meson test -C $(BUILD) --print-errorlogs --num-processes 2 --setup valgrind --suite memcheck

test-py:
	./tools/run-pytest.sh $(BUILD) $(PYTHON)

demo: build
	./tools/demo.sh $(BUILD)

# Speed and memory, by hand: see tests/bench/README.md.
bench: build
	$(PYTHON) tests/bench/bench_image2video.py $(BUILD)

clean:
	rm -rf $(BUILD) demo.mp4
