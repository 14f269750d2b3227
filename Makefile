# ward - GNU Make is the one entry point.
#   make            library (build/libward.a) and the ward program (build/ward)
#   make test       every test: unit, spec (flat), and both under ASan+UBSan
#   make spec       the official spec suite (needs wabt's wast2json)
#   make fuzz       libFuzzer on the module loader (FUZZ_SECONDS=600)
#   make bench      benchmarks against native code
#   make deps       install the Debian packages the above need

CC      ?= cc
O       ?= build
CFLAGS  ?= -O2 -g
WFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror
CPPFLAGS += -Iinclude -Isrc
LDLIBS  := -lm -lpthread
SHARED  ?= $(abspath ../shared)
SPEC_SRC ?= $(SHARED)/wasm-testsuite

LIB_SRC := $(wildcard src/*/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(O)/%.o)

.PHONY: format all example wasi-test examples-test test unit spec asan asan-unit asan-spec asan-paged asan-cage cage-test fuzz bench deps clean
all: $(O)/libward.a $(O)/ward $(O)/cage-place

# vm_run (interp.c) is one function of about a thousand handlers reached by
# indirect jumps; with gcc, aligning its labels keeps its speed from hanging
# on where each handler happens to fall (seen: 20% on one benchmark from an
# unrelated edit). Compilers without the option (clang) go without.
ALIGN_LABELS := $(shell $(CC) -Werror -falign-labels=32 -x c -c /dev/null -o /dev/null 2>/dev/null && echo -falign-labels=32)
$(O)/src/exec/interp.o: CFLAGS += $(ALIGN_LABELS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(O)/libward.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

CLI_SRC := $(wildcard cli/*.c)
CLI_OBJ := $(CLI_SRC:%.c=$(O)/%.o)
$(O)/ward: $(CLI_OBJ) $(O)/libward.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The test tool that writes Cage's instructions through placeholder imports
# (tools/cage-place.c; wabt and clang do not know the 0xFA instructions).
$(O)/cage-place: tools/cage-place.c
	@mkdir -p $(dir $@)
	$(CC) $(WFLAGS) $(CFLAGS) -o $@ $<

# ---- spec suite --------------------------------------------------------------
SPEC_OUT := $(O)/spec
$(O)/spec-runner: $(O)/tests/spec/runner.o $(O)/tests/spec/spectest.o $(O)/libward.a
	$(CC) $(CFLAGS) -o $@ $^ -lcjson $(LDLIBS)

# Converts the suite once (stamp file); the conversion is shared by all builds.
SPEC_STAMP := build/spec-json/.stamp
$(SPEC_STAMP): tests/spec/convert.sh
	bash tests/spec/convert.sh $(SPEC_SRC) build/spec-json
	@touch $@

# Every memory flat, then paged, then paged through the tables only (both.sh);
# the last line sums the runs.
spec: $(O)/spec-runner $(SPEC_STAMP)
	bash tests/spec/both.sh $(O)/spec-runner build/spec-json

# ---- unit tests ----------------------------------------------------------------
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(O)/unit/%)
$(O)/unit/%: tests/unit/%.c $(O)/libward.a
	@mkdir -p $(dir $@)
	$(CC) $(WFLAGS) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(O)/libward.a $(LDLIBS)

# The regression test replays fuzz inputs with the fuzz target's code, which
# links the spectest host module.
$(O)/unit/test_regress: tests/unit/test_regress.c tests/spec/spectest.c $(O)/libward.a
	@mkdir -p $(dir $@)
	$(CC) $(WFLAGS) $(CPPFLAGS) $(CFLAGS) -o $@ $< tests/spec/spectest.c $(O)/libward.a $(LDLIBS)

unit: $(UNIT_BIN)
	@bash tests/run_unit.sh $(UNIT_BIN)

# ---- WASI, the CLI and the examples ----------------------------------------------
wasi-test: all
	bash tests/wasi/run.sh $(O)/ward $(O)

examples-test: all
	O=$(O) bash tests/examples.sh

# The README's main-job command: the bundled report example under `ward run`.
example:
	bash tools/deps.sh
	$(MAKE) -s all
	bash tools/wasm-cc.sh $(O)/examples/report.wasm examples/report/report.c
	$(O)/ward run --dir examples/report/input::/data $(O)/examples/report.wasm

# ---- sanitizers ------------------------------------------------------------------
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_MAKE = $(MAKE) -s O=build/asan CC=clang CFLAGS="$(ASAN_FLAGS)"
asan: asan-unit asan-spec asan-paged asan-cage
asan-unit:
	$(ASAN_MAKE) unit
asan-spec:
	$(ASAN_MAKE) spec
# The paged-memory tests against the sanitized library (the frame pool,
# arenas and regions are reference counted across memories).
asan-paged:
	$(ASAN_MAKE) build/asan/libward.a
	CC=clang CFLAGS="$(ASAN_FLAGS)" bash tests/paged/run.sh build/asan

# Memory safety (Cage) end to end against the sanitized library.
asan-cage:
	$(ASAN_MAKE) build/asan/libward.a build/asan/cage-place build/asan/ward
	CC=clang CFLAGS="$(ASAN_FLAGS)" bash tests/cage/run.sh build/asan

# Memory safety (Cage) end to end: tests/cage/run.sh.
cage-test: all
	bash tests/cage/run.sh $(O)

# The README's test command. Installs what it needs, then runs every suite
# (tests/run_all.sh prints one line per suite and the totals last).
test:
	bash tools/deps.sh
	$(MAKE) all
	bash tests/run_all.sh

# ---- fuzzing -----------------------------------------------------------------
FUZZ_SECONDS ?= 60
fuzz:
	bash fuzz/run.sh $(FUZZ_SECONDS)

# ---- benchmarks ----------------------------------------------------------------
bench: all
	bash bench/run.sh
	bash bench/paged.sh

deps:
	bash tools/deps.sh

# Formats the tree with the repository's .clang-format; make test checks it.
format:
	clang-format -i $$(git ls-files '*.c' '*.h'; git ls-files --others --exclude-standard '*.c' '*.h')

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
