# The two commands a newcomer needs are `make run` and `make test`; each
# installs what it needs first (Debian packages, then a local venv).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Extra Python extras for the tests, e.g. `make test EXTRAS=,reference,nam` (what CI runs).
EXTRAS ?=
BUILD := build

# Compile flags come from pedal/build_flags.py, which pip install and the Debian packages read
# too: the Pi self-tests under qemu (and the NEON report) are the arm64/armhf packages' builds.
FLAGS = $(shell $(PYTHON) pedal/build_flags.py $(1) $(2))
WARNINGS := $(call FLAGS,warnings)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

CORE_SRCS := $(wildcard $(addprefix csrc/,$(addsuffix /*.cpp,json layers models formats dsp engine capi)))
TEST_SRCS := $(wildcard csrc/tests/*.cpp)
GOLDEN := csrc/tests/golden

HOST_ARCH := $(shell uname -m)
AARCH64_CXX := $(if $(filter aarch64,$(HOST_ARCH)),g++,aarch64-linux-gnu-g++)
ARMHF_CXX := $(if $(filter armv7l,$(HOST_ARCH)),g++,arm-linux-gnueabihf-g++)
AARCH64_OBJDUMP := $(if $(filter aarch64,$(HOST_ARCH)),objdump,aarch64-linux-gnu-objdump)
AARCH64_RUN := $(if $(filter aarch64,$(HOST_ARCH)),,qemu-aarch64)
ARMHF_RUN := $(if $(filter armv7l,$(HOST_ARCH)),,qemu-arm)

NATIVE_FLAGS := $(call FLAGS,core,baseline) -g $(WARNINGS)
AVX2_FLAGS := $(call FLAGS,core,avx2) -g $(WARNINGS)
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all
ASAN_FLAGS := $(call FLAGS,core,baseline) -O1 -g -fno-omit-frame-pointer $(SANITIZE) $(WARNINGS)
# The arm64 and armhf packages' flags (Pi 2 v1.2 to Pi 5, tuned for the Pi 4's Cortex-A72).
# Linked static so qemu needs no target sysroot.
AARCH64_FLAGS := $(call FLAGS,package,arm64) $(WARNINGS)
ARMHF_FLAGS := $(call FLAGS,package,armhf) $(WARNINGS)

FORCE:
.PHONY: FORCE all test run soak bench cross selftest sanitize pytest perf-check system-test system-run system-deb venv golden fuzz deb clean default-model di-clip

all: venv

# --- C++ core builds: one object tree per target --------------------------------
# $(1) target name, $(2) compiler, $(3) compile flags, $(4) link flags
# A tree's `flags` file changes only when its flags do, and every object depends on it:
# new flags rebuild the tree.
define core_target
$(BUILD)/$(1)/flags: FORCE
	@mkdir -p $$(@D)
	@printf '%s\n' $(2) $(3) $(4) | cmp -s - $$@ || printf '%s\n' $(2) $(3) $(4) > $$@
$(BUILD)/$(1)/%.o: csrc/%.cpp $(BUILD)/$(1)/flags
	@mkdir -p $$(@D)
	$(2) $(3) -Icsrc -MMD -MP -c $$< -o $$@
$(BUILD)/$(1)/selftest: $(patsubst csrc/%.cpp,$(BUILD)/$(1)/%.o,$(CORE_SRCS) $(TEST_SRCS))
	$(2) $(3) $$^ -o $$@ $(4)
$(BUILD)/$(1)/pedal-bench: $(patsubst csrc/%.cpp,$(BUILD)/$(1)/%.o,$(CORE_SRCS) csrc/bench/bench.cpp)
	$(2) $(3) $$^ -o $$@ $(4)
-include $(patsubst csrc/%.cpp,$(BUILD)/$(1)/%.d,$(CORE_SRCS) $(TEST_SRCS) csrc/bench/bench.cpp)
endef
$(eval $(call core_target,native,$(CXX),$(NATIVE_FLAGS),))
$(eval $(call core_target,avx2,$(CXX),$(AVX2_FLAGS),))
$(eval $(call core_target,asan,clang++,$(ASAN_FLAGS),$(SANITIZE)))
$(eval $(call core_target,aarch64,$(AARCH64_CXX),$(AARCH64_FLAGS),-static))
$(eval $(call core_target,armhf,$(ARMHF_CXX),$(ARMHF_FLAGS),-static))

# The x86-64 AVX2+FMA build (what pedal.core picks on such CPUs) passes the
# same tests, where this CPU can run it.
HAS_AVX2 := $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo && echo yes)
SELFTESTS := $(BUILD)/native/selftest $(if $(and $(filter x86_64,$(HOST_ARCH)),$(HAS_AVX2)),$(BUILD)/avx2/selftest)

selftest: $(SELFTESTS)
	for test in $(SELFTESTS); do $$test --data $(GOLDEN) || exit 1; done

sanitize: $(BUILD)/asan/selftest
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(BUILD)/asan/selftest --data $(GOLDEN)

# ... and shows the hot loops of the Pi build compiled to NEON vector code.
cross: $(BUILD)/aarch64/selftest $(BUILD)/armhf/selftest
	$(AARCH64_RUN) $(BUILD)/aarch64/selftest --data $(GOLDEN)
	$(ARMHF_RUN) $(BUILD)/armhf/selftest --data $(GOLDEN)
	$(PYTHON) tools/neon_report.py --objdump $(AARCH64_OBJDUMP) $(BUILD)/aarch64

# --- Fuzzing the loaders (libFuzzer) ----------------------------------------------
# `make fuzz` runs for FUZZ_SECONDS from the committed corpus plus our own golden
# models, then merges whatever adds coverage back into csrc/tests/fuzz_corpus/,
# which the self-test replays in every `make test`. Commit the new files.
FUZZ_SECONDS ?= 600
FUZZ_CORPUS := csrc/tests/fuzz_corpus
FUZZ_FLAGS := $(call FLAGS,core,baseline) -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(BUILD)/fuzz/fuzz_load: $(CORE_SRCS) csrc/fuzz/fuzz_load.cpp $(wildcard csrc/*/*.h)
	@mkdir -p $(@D)
	clang++ $(FUZZ_FLAGS) -Icsrc $(CORE_SRCS) csrc/fuzz/fuzz_load.cpp -o $@

fuzz: system-test $(BUILD)/fuzz/fuzz_load
	rm -rf $(BUILD)/fuzz/work && mkdir -p $(BUILD)/fuzz/work
	cp $(FUZZ_CORPUS)/* $(GOLDEN)/*.model.json $(BUILD)/fuzz/work/
	$(BUILD)/fuzz/fuzz_load -max_total_time=$(FUZZ_SECONDS) -max_len=20000 -timeout=10 -rss_limit_mb=2048 \
		-dict=csrc/fuzz/model_keys.dict -artifact_prefix=$(BUILD)/fuzz/ -print_final_stats=1 $(BUILD)/fuzz/work
	$(BUILD)/fuzz/fuzz_load -merge=1 -max_len=4096 $(FUZZ_CORPUS) $(BUILD)/fuzz/work

# Instructions per sample under callgrind against tests/perf_baseline.json
# (fails on > 10 % growth; `make perf-check PERF_ARGS=--update` rewrites it).
perf-check: system-test
	$(MAKE) $(BUILD)/native/pedal-bench
	$(PYTHON) tools/perf_check.py --bench $(BUILD)/native/pedal-bench $(PERF_ARGS)

# --- Python ----------------------------------------------------------------------
$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Reinstalls (rebuilding the extension) whenever the core or packaging changes.
$(VENV)/.installed$(EXTRAS): $(VENV)/bin/python pyproject.toml setup.py pedal/_build_core.py $(CORE_SRCS) $(wildcard csrc/*/*.h)
	$(PY) -m pip install -q -e ".[test$(EXTRAS)]"
	@rm -f $(VENV)/.installed*
	@touch $@

venv: $(VENV)/.installed$(EXTRAS)

pytest: venv
	$(PY) -m pytest -q

# --- What newcomers run ----------------------------------------------------------
system-test:
	@tools/setup-system.sh test

system-run:
	@tools/setup-system.sh run

system-deb:
	@tools/setup-system.sh deb

test: system-test
	$(MAKE) -j$(JOBS) $(SELFTESTS) $(BUILD)/asan/selftest $(BUILD)/aarch64/selftest $(BUILD)/armhf/selftest
	$(MAKE) selftest sanitize cross
	$(MAKE) pytest

# The daemon in the foreground; without a sound card, a DI clip through it on
# JACK's dummy driver for DEMO_SECONDS (default 30).
run: system-run venv
	$(PY) -m pedal.demo

# pedald for SOAK_SECONDS (default 600) beside competing CPU load: xruns, CPU, memory growth.
soak: system-run venv
	$(PY) tools/soak.py

bench: venv
	$(PY) -m pedal.bench $(MODELS)

# The Debian package: dist/pedal_<version>_<arch>.deb for this machine, or for a
# Pi with ARCH=arm64 / ARCH=armhf (cross-compiled); VERSION= overrides pyproject's.
# Debian's own python3 builds it, so the core matches its python3-cffi-backend;
# the venv's pip only fetches pyalsaaudio's source (packaging/vendor.txt).
ARCH ?= $(shell dpkg --print-architecture 2>/dev/null)
deb: system-deb $(VENV)/bin/python
	PEDAL_PIP_PYTHON=$(PY) /usr/bin/python3 packaging/build_deb.py --arch $(ARCH) $(if $(VERSION),--version $(VERSION))

# Regenerates the C++ self-test's golden vectors from PyTorch.
golden: 
	$(MAKE) venv EXTRAS=,reference
	$(PY) tests/reference/make_golden.py

# Retrains the bundled default model on the synthetic overdrive (PyTorch, 8 min of
# training on one core) and prints its held-out ESR; see tools/train_default_model.py.
default-model:
	$(MAKE) venv EXTRAS=,train
	$(PY) tools/train_default_model.py

# Rewrites pedal/data/di_clip.wav (the same bytes, unless the synthesis changed).
di-clip: venv
	$(PY) tools/make_di_clip.py

clean:
	rm -rf $(BUILD) $(VENV) dist pedal/_core*.so pedal/_core.cpp *.egg-info
