# ward - GNU Make is the one entry point.
#   make            the library (build/libward.so, build/libward.a) and the
#                   ward program (build/ward)
#   make check      the fast tests (about a minute): layering, format and
#                   symbol checks, unit, spec, WASI, examples, paged
#   make test       every test: the above, install, and ASan+UBSan builds
#   make install    PREFIX=/usr/local (and DESTDIR=) headers, libraries,
#                   ward.pc, the ward and ward-monitor programs and the man
#                   page; make uninstall
#   make spec       the official spec suite (needs wabt's wast2json)
#   make fuzz       libFuzzer on the module loader (FUZZ_SECONDS=600)
#   make fuzz-serve libFuzzer on the node's protocol decoder and manifest parser
#   make fuzz-native libFuzzer: the native tier against the interpreter
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
# Prerequisites expand when make reads a rule: defined before any rule uses it.
SPEC_STAMP := build/spec-json/.stamp

LD      ?= ld
OBJCOPY ?= objcopy
NPROC   := $(shell nproc 2>/dev/null || echo 2)

# The version is written once, in include/ward.h; the shared library's
# SONAME carries its major number.
VERSION := $(shell sed -nE 's/^\#define WARD_VERSION "([0-9.]+)"/\1/p' include/ward.h)
VERSION_MAJOR := $(firstword $(subst ., ,$(VERSION)))
SONAME  := libward.so.$(VERSION_MAJOR)
SOFILE  := libward.so.$(VERSION)

LIB_SRC := $(wildcard src/*/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(O)/%.o)


.PHONY: spec-interp spec-native spec-native-flat spec-fastloop fuzz-native
.PHONY: format all example example-run wasi-test examples-test serve-test serve-native-test fuzz-serve budget-test check test unit spec asan asan-unit asan-spec asan-paged asan-cage asan-native cage-test fuzz bench deps install uninstall clean FORCE
all: $(O)/libward.a $(O)/libward.so $(O)/ward $(O)/ward-monitor $(O)/cage-place

# vm_run (interp.c) is one function of about a thousand handlers reached by
# indirect jumps; with gcc, aligning its labels keeps its speed from hanging
# on where each handler happens to fall (seen: 20% on one benchmark from an
# unrelated edit). Compilers without the option (clang) go without.
ALIGN_LABELS := $(shell $(CC) -Werror -falign-labels=32 -x c -c /dev/null -o /dev/null 2>/dev/null && echo -falign-labels=32)
$(O)/src/exec/interp.o: CFLAGS += $(ALIGN_LABELS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WFLAGS) $(CPPFLAGS) $(CFLAGS) $(OBJ_FLAGS) -MMD -MP -c $< -o $@

# ---- the library -----------------------------------------------------------------
# Its objects are position-independent (they go into the shared library too)
# and hide every name not marked WARD_API (include/ward.h). Objects built
# with other flags are rebuilt: a build folder made before a flag changed
# would otherwise keep, say, objects that export everything.
$(LIB_OBJ): OBJ_FLAGS := -fPIC -fvisibility=hidden
$(LIB_OBJ): $(O)/lib.flags
$(O)/lib.flags: FORCE
	@mkdir -p $(O)
	@echo '$(CC) $(WFLAGS) $(CPPFLAGS) $(CFLAGS) -fPIC -fvisibility=hidden' | cmp -s - $@ || \
	    echo '$(CC) $(WFLAGS) $(CPPFLAGS) $(CFLAGS) -fPIC -fvisibility=hidden' >$@

# libward.so exports only what is visible: the WARD_API functions.
$(O)/libward.so: $(LIB_OBJ)
	$(CC) $(CFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,-z,defs -o $(O)/$(SOFILE) $^ $(LDLIBS)
	ln -sfn $(SOFILE) $(O)/$(SONAME)
	ln -sfn $(SONAME) $@

# libward.a: a static link ignores visibility, so hidden names would still be
# global there and clash with the embedder's. The objects are linked into one
# (ld -r resolves the references between them), whose hidden names then
# become local (objcopy --localize-hidden): only the ward_ API stays global.
$(O)/libward.o: $(LIB_OBJ)
	$(LD) -r -o $@.tmp $^
	$(OBJCOPY) --localize-hidden $@.tmp $@
	@rm -f $@.tmp

$(O)/libward.a: $(O)/libward.o
	@rm -f $@
	$(AR) rcs $@ $<

# The same objects as they are, internal names global: for the tests that
# call the layers below the API (tests/unit). Never installed.
$(O)/libward-internal.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# The ward program uses the public API only, so it links the public archive.
# It holds the serverless node's untrusted parts too (faas/gateway,
# faas/client: HTTP, JSON) and the supervisor (`ward serve`).
CLI_SRC := $(wildcard cli/*.c)
CLI_OBJ := $(CLI_SRC:%.c=$(O)/%.o)
FAAS_UNTRUSTED_SRC := faas/proto.c faas/attest.c $(wildcard faas/gateway/*.c faas/client/*.c)
FAAS_UNTRUSTED_OBJ := $(FAAS_UNTRUSTED_SRC:%.c=$(O)/%.o)
NODE_LIBS := -lmicrohttpd -lcurl -lcjson -lsodium
# `ward harden`'s rewriter (harden/): a module transformer, libc only.
HARDEN_OBJ := $(patsubst %.c,$(O)/%.o,$(wildcard harden/*.c))
$(CLI_OBJ) $(FAAS_UNTRUSTED_OBJ): CPPFLAGS += -Ifaas
$(O)/cli/harden.o: CPPFLAGS += -I.
# ward itself links none of the node's libraries: `ward serve` and `ward
# client` exec ward-node from ward's own folder (cli.h), so that `ward run`
# starts without loading libcurl and the rest (about 4 ms).
# cli/compile_server.c (the node's compile helper, with its seccomp filter)
# is ward-native's only.
CLI_NATIVE_OBJ := $(O)/cli/compile_server.o
CLI_NODE_OBJ := $(O)/cli/serve.o $(O)/cli/client.o
CLI_CORE_OBJ := $(filter-out $(CLI_NODE_OBJ) $(CLI_NATIVE_OBJ),$(CLI_OBJ))
$(O)/ward: $(CLI_CORE_OBJ) $(HARDEN_OBJ) $(O)/libward.a $(O)/ward-node $(O)/ward-monitor $(O)/ward-native
	$(CC) $(CFLAGS) -o $@ $(CLI_CORE_OBJ) $(HARDEN_OBJ) $(O)/libward.a $(LDLIBS)
$(O)/ward-node: $(CLI_OBJ) $(FAAS_UNTRUSTED_OBJ) $(HARDEN_OBJ) $(O)/libward.a
	$(CC) $(CFLAGS) -o $@ $(filter-out $(CLI_NATIVE_OBJ),$(CLI_OBJ)) $(FAAS_UNTRUSTED_OBJ) $(HARDEN_OBJ) $(O)/libward.a $(NODE_LIBS) $(LDLIBS)

# ward-native: the same program with the native tier (LLVM). `ward run -C
# native` and `ward compile` exec it from ward's own folder, so that ward
# itself does not pay for loading LLVM (tens of ms, tens of MiB).
$(O)/ward-native: $(CLI_OBJ) $(FAAS_UNTRUSTED_OBJ) $(HARDEN_OBJ) $(O)/libward-native.a
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(FAAS_UNTRUSTED_OBJ) $(HARDEN_OBJ) $(O)/libward-native.a $(NODE_LIBS) -lseccomp $(LLVM_LIBS) $(LDLIBS)

# ---- the native tier (native/, docs/native.md) -----------------------------------
# The LLVM backend is not part of libward (which stays libc-only): its
# objects and the library's are linked into one relocatable object, hidden
# names localised as for libward.a, into libward-native.a, which the ward
# program links with LLVM 19's shared library.
LLVM_CONFIG ?= /usr/lib/llvm-19/bin/llvm-config
LLVM_LIBS = $(shell $(LLVM_CONFIG) --ldflags --libs 2>/dev/null)
NATIVE_SRC := $(wildcard native/*.c)
NATIVE_OBJ := $(NATIVE_SRC:%.c=$(O)/%.o)
$(NATIVE_OBJ): OBJ_FLAGS := -fPIC -fvisibility=hidden
$(NATIVE_OBJ): CPPFLAGS += -I$(shell $(LLVM_CONFIG) --includedir 2>/dev/null)
# The code generator's inputs: their hash is part of every native code key
# (nl_jit.c), so that a cache entry or artifact made by another build of
# the generator (same WARD_VERSION, other code) is never loaded.
NATIVE_KEY_SRC := $(sort $(wildcard native/*.c native/*.h src/exec/*.c src/exec/*.h src/exec/*.def src/mem/*.c src/mem/*.h))
NATIVE_KEY := $(shell cat $(NATIVE_KEY_SRC) | sha256sum | cut -c1-16)
# The cache's file names (src/api/artifact.c) hold it too.
$(O)/native/nl_jit.o $(O)/src/api/artifact.o: $(NATIVE_KEY_SRC)
$(O)/native/nl_jit.o $(O)/src/api/artifact.o: CPPFLAGS += -DWARD_NATIVE_KEY=\"$(NATIVE_KEY)\"
$(O)/libward-native.o: $(LIB_OBJ) $(NATIVE_OBJ)
	$(LD) -r -o $@.tmp $^
	$(OBJCOPY) --localize-hidden $@.tmp $@
	@rm -f $@.tmp
$(O)/libward-native.a: $(O)/libward-native.o
	@rm -f $@
	$(AR) rcs $@ $<
# The spec suite in the native tier (tests/spec/both.sh --tier native).
$(O)/spec-runner-native: $(O)/tests/spec/runner.o $(O)/tests/spec/spectest.o $(O)/libward-native.a
	$(CC) $(CFLAGS) -o $@ $^ -lcjson $(LLVM_LIBS) $(LDLIBS)
# Guard pages through the C API (tests/native/run.sh builds and runs it).
$(O)/tests/native/guard: $(O)/tests/native/guard.o $(O)/libward-native.a
	$(CC) $(CFLAGS) -o $@ $^ $(LLVM_LIBS) $(LDLIBS)
# LLVM -O1: the suite is thousands of small modules, compile time dominates.
spec-native: $(O)/spec-runner-native $(SPEC_STAMP)
	bash tests/spec/both.sh $(O)/spec-runner-native build/spec-json --tier native --native-opt 1
# The fast copies of inner loops (docs/native.md, "Fast loops"): their own
# assertions, in both tiers and all five memory modes.
spec-fastloop: $(O)/spec-runner $(O)/spec-runner-native
	bash tests/native/fastloop.sh $(O)
spec-native-flat: $(O)/spec-runner-native $(SPEC_STAMP)
	$(O)/spec-runner-native --tier native --native-opt 1 build/spec-json

# The trusted part of a node: the monitor, a program of its own that links
# libward, libc, libseccomp and libsodium only (no HTTP, no JSON: tests/serve checks
# its dynamic dependencies). `ward serve` starts it from ward's own folder.
MON_SRC := faas/proto.c faas/attest.c $(wildcard faas/monitor/*.c)
MON_OBJ := $(MON_SRC:%.c=$(O)/mon/%.o)
$(O)/mon/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WFLAGS) -Iinclude -Ifaas $(CFLAGS) -MMD -MP -c $< -o $@
$(O)/ward-monitor: $(MON_OBJ) $(O)/libward.a
	$(CC) $(CFLAGS) -o $@ $^ -lseccomp -lsodium $(LDLIBS)

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
$(SPEC_STAMP): tests/spec/convert.sh
	bash tests/spec/convert.sh $(SPEC_SRC) build/spec-json
	@touch $@

# Every memory flat, then paged, then paged through the tables only, then
# tagged flat and paged (both.sh; its last line sums the runs): in the
# interpreter (spec-interp), then in the native tier (spec-native).
spec: spec-interp spec-native spec-fastloop
spec-interp: $(O)/spec-runner $(SPEC_STAMP)
	bash tests/spec/both.sh $(O)/spec-runner build/spec-json

# ---- unit tests ----------------------------------------------------------------
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(O)/unit/%)
# Unit tests reach below the API (decoder, interpreter, allocator hooks):
# they link the internal archive.
$(O)/unit/%: tests/unit/%.c $(O)/libward-internal.a
	@mkdir -p $(dir $@)
	$(CC) $(WFLAGS) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(O)/libward-internal.a $(LDLIBS)

# The regression test replays fuzz inputs with the fuzz target's code, which
# links the spectest host module.
$(O)/unit/test_regress: tests/unit/test_regress.c fuzz/fuzz_one.h tests/spec/spectest.c $(O)/libward-internal.a
	@mkdir -p $(dir $@)
	$(CC) $(WFLAGS) $(CPPFLAGS) $(CFLAGS) -o $@ $< tests/spec/spectest.c $(O)/libward-internal.a $(LDLIBS)

# The budget test runs the hostile modules through the fuzz target's oracle.
$(O)/unit/test_budget: tests/unit/test_budget.c tests/budget/hostile.h fuzz/fuzz_one.h \
		tests/spec/spectest.c $(O)/libward-internal.a
	@mkdir -p $(dir $@)
	$(CC) $(WFLAGS) $(CPPFLAGS) $(CFLAGS) -o $@ $< tests/spec/spectest.c $(O)/libward-internal.a $(LDLIBS)

unit: $(UNIT_BIN)
	@bash tests/run_unit.sh $(UNIT_BIN)

# ---- WASI, the CLI and the examples ----------------------------------------------
wasi-test: all
	bash tests/wasi/run.sh $(O)/ward $(O)

examples-test: all
	O=$(O) bash tests/examples.sh

# The findings of issue 11 (hostile modules of tests/budget/hostile.h)
# through `ward run`: clean errors, exit statuses, bounded time and memory.
budget-test: all
	bash tests/budget/run.sh $(O)/ward $(O)

# The serverless node end to end on loopback (tests/serve/run.sh).
serve-test: all
	bash tests/serve/run.sh $(O)

# The node with its functions in the native tier (docs/serve.md, "Native
# code"): the node's suite with WARD_TEST_TIER=native, and the native
# checks (both tiers on one node, compile once, errors, measurements, the
# monitor's ELF loader on damaged objects).
serve-native-test: all $(O)/libward-internal.a
	WARD_TEST_TIER=native bash tests/serve/run.sh $(O)
	bash tests/serve/native.sh $(O)

# The README's main-job command: a serverless node on loopback, the bundled
# functions deployed and chained through `ward client` (examples/serve/run.sh).
# The single-module path (`ward run`) has its own: make example-run.
example:
	bash tools/deps.sh
	$(MAKE) -s all
	bash examples/serve/run.sh $(O)

example-run:
	bash tools/deps.sh
	$(MAKE) -s all
	bash tools/wasm-cc.sh $(O)/examples/report.wasm examples/report/report.c
	$(O)/ward run --dir examples/report/input::/data $(O)/examples/report.wasm

# ---- sanitizers ------------------------------------------------------------------
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_MAKE = $(MAKE) -s O=build/asan CC=clang CFLAGS="$(ASAN_FLAGS)"
asan: asan-unit asan-spec asan-paged asan-cage asan-native
# (+: ASAN_MAKE hides $(MAKE) from make, which would not pass on -j.)
asan-unit:
	+$(ASAN_MAKE) unit
asan-spec:
	+$(ASAN_MAKE) spec
# The paged-memory tests against the sanitized library (the frame pool,
# arenas and regions are reference counted across memories).
asan-paged:
	+$(ASAN_MAKE) build/asan/libward.a
	CC=clang CFLAGS="$(ASAN_FLAGS)" bash tests/paged/run.sh build/asan

# Memory safety (Cage) end to end against the sanitized library.
asan-cage:
	+$(ASAN_MAKE) build/asan/libward.a build/asan/cage-place build/asan/ward
	CC=clang CFLAGS="$(ASAN_FLAGS)" bash tests/cage/run.sh build/asan

# libward loading native code (artifacts, cache entries) under the
# sanitizers; the normal build's ward-native compiles it.
asan-native: all
	+$(ASAN_MAKE) build/asan/ward
	bash tests/native/load_asan.sh build/asan $(O)

# Memory safety (Cage) end to end: tests/cage/run.sh.
cage-test: all
	bash tests/cage/run.sh $(O)

# The README's test command. Installs what it needs, then runs every suite
# (tests/run_all.sh prints one line per suite and the totals last).
test:
	bash tools/deps.sh
	$(MAKE) -j$(NPROC) all
	bash tests/run_all.sh

# The fast subset for every change: no sanitizer builds, no install test.
check:
	bash tools/deps.sh
	$(MAKE) -j$(NPROC) all
	bash tests/run_all.sh check

# ---- fuzzing -----------------------------------------------------------------
FUZZ_SECONDS ?= 60
fuzz:
	bash fuzz/run.sh $(FUZZ_SECONDS)
# libFuzzer on the node's parsers: the protocol decoder, the manifest parser.
fuzz-serve:
	bash fuzz/run_serve.sh $(FUZZ_SECONDS)

# The native tier against the interpreter (fuzz/fuzz_native.c) under
# libFuzzer, seeded with the spec suite's modules (fuzz/run_native.sh).
fuzz-native:
	bash fuzz/run_native.sh $(FUZZ_SECONDS) $(O)

# ---- benchmarks ----------------------------------------------------------------
bench: all
	bash bench/run.sh
	bash bench/paged.sh
	bash bench/cage.sh
	bash bench/harden.sh
	bash bench/serve.sh $(O)
	bash bench/attest.sh $(O)

deps:
	bash tools/deps.sh

# ---- install ---------------------------------------------------------------------
# make install PREFIX=/usr/local [DESTDIR=/staging]: DESTDIR is prepended to
# every path written, and never appears in what is written (ward.pc).
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
# Run after installing into the system (no DESTDIR, as root), so the dynamic
# linker finds the new libward.so.N; LDCONFIG=: skips it.
LDCONFIG   ?= ldconfig
PUBLIC_H   := $(wildcard include/*.h)

# ward.pc from ward.pc.in, for this PREFIX (so made on every install and
# rewritten only when it changes); paths under PREFIX are written as
# ${prefix}/..., the version is ward.h's.
$(O)/ward.pc: ward.pc.in FORCE
	@mkdir -p $(O)
	@sed -e 's|@PREFIX@|$(PREFIX)|' \
	    -e 's|@LIBDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|' \
	    -e 's|@VERSION@|$(VERSION)|' -e 's|@LIBS_PRIVATE@|$(LDLIBS)|' ward.pc.in >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@

install: all $(O)/ward.pc
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(LIBDIR)" "$(DESTDIR)$(PKGCONFIGDIR)" \
	    "$(DESTDIR)$(INCLUDEDIR)" "$(DESTDIR)$(MANDIR)/man1"
	install -m 755 $(O)/ward "$(DESTDIR)$(BINDIR)/ward"
	install -m 755 $(O)/ward-monitor "$(DESTDIR)$(BINDIR)/ward-monitor"
	install -m 755 $(O)/ward-node "$(DESTDIR)$(BINDIR)/ward-node"
	install -m 755 $(O)/ward-native "$(DESTDIR)$(BINDIR)/ward-native"
	install -m 644 $(PUBLIC_H) "$(DESTDIR)$(INCLUDEDIR)/"
	install -m 755 $(O)/$(SOFILE) "$(DESTDIR)$(LIBDIR)/$(SOFILE)"
	ln -sfn $(SOFILE) "$(DESTDIR)$(LIBDIR)/$(SONAME)"
	ln -sfn $(SONAME) "$(DESTDIR)$(LIBDIR)/libward.so"
	install -m 644 $(O)/libward.a "$(DESTDIR)$(LIBDIR)/libward.a"
	install -m 644 $(O)/ward.pc "$(DESTDIR)$(PKGCONFIGDIR)/ward.pc"
	install -m 644 docs/ward.1 "$(DESTDIR)$(MANDIR)/man1/ward.1"
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then echo $(LDCONFIG); $(LDCONFIG); fi

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/ward" "$(DESTDIR)$(BINDIR)/ward-monitor" "$(DESTDIR)$(BINDIR)/ward-native" "$(DESTDIR)$(BINDIR)/ward-node" "$(DESTDIR)$(MANDIR)/man1/ward.1" \
	    $(foreach h,$(notdir $(PUBLIC_H)),"$(DESTDIR)$(INCLUDEDIR)/$(h)") \
	    "$(DESTDIR)$(LIBDIR)/$(SOFILE)" "$(DESTDIR)$(LIBDIR)/$(SONAME)" \
	    "$(DESTDIR)$(LIBDIR)/libward.so" "$(DESTDIR)$(LIBDIR)/libward.a" \
	    "$(DESTDIR)$(PKGCONFIGDIR)/ward.pc"
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then echo $(LDCONFIG); $(LDCONFIG); fi

# Formats the tree with the repository's .clang-format; make test checks it.
format:
	clang-format -i $$(git ls-files '*.c' '*.h'; git ls-files --others --exclude-standard '*.c' '*.h')

clean:
	rm -rf build

FORCE:

# Every object's header dependencies (library, program, tests, tools), so that a
# changed header rebuilds whatever includes it.
-include $(shell find $(O) -name '*.d' 2>/dev/null)
