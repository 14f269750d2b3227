/* nl_jit.c - the LLVM backend object (nl.h): optimisation, machine code,
 * loading through ORC LLJIT, the cache directory and AOT artifacts.
 *
 * Code is identified by a key: a BLAKE3 hash of the module's bytes, the
 * memory mode of each of its memories (the access paths of the internal
 * code), ward's version, the hash of the code generator's sources
 * (WARD_NATIVE_KEY, from the Makefile), the host CPU's name and features and the
 * optimisation level. Loaded code is shared by key within the process
 * (every module object with the same bytes and memory modes, and every
 * instance and clone of them, runs the same machine code: it reaches its
 * instance only through its arguments), so a key is compiled at most once
 * per process and, with a cache directory, once per machine.
 *
 * An object is a relocatable ELF file from LLVM's target machine; LLJIT
 * links it against the helpers of native.h, which are given to it as
 * absolute symbols. The same bytes are what the cache directory and the
 * AOT artifacts (ward compile) hold, each with its key and a hash of the
 * bytes, checked before anything is loaded.
 */
#include "nl.h"
#include "ward_native.h"
#include "api/artifact.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Support.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <llvm-c/blake3.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NL_KEY 32

/* ---- options -------------------------------------------------------------------------- */

static int nl_opt_level = 2;
static char *nl_cache_dir;
static bool nl_verify = false;

void ward_native_llvm_options(int opt_level, const char *cache_dir)
{
    nl_opt_level = opt_level < 0 ? 0 : opt_level > 3 ? 3 : opt_level;
    free(nl_cache_dir);
    nl_cache_dir = cache_dir && *cache_dir ? strdup(cache_dir) : NULL;
    nl_verify = getenv("WARD_NATIVE_VERIFY") != NULL;
}

/* ---- statistics ------------------------------------------------------------------------- */

static pthread_mutex_t nl_lock = PTHREAD_MUTEX_INITIALIZER;
static ward_native_stats nl_stats; /* guarded by nl_lock */
/* A copy for readers, under a lock of its own: nl_lock is held for the
 * whole of a compilation, which a reader must not wait for. */
static pthread_mutex_t nl_stats_lock = PTHREAD_MUTEX_INITIALIZER;
static ward_native_stats nl_stats_pub;

/* Called with nl_lock held, after nl_stats changed. */
static void nl_stats_publish(void)
{
    pthread_mutex_lock(&nl_stats_lock);
    nl_stats_pub = nl_stats;
    pthread_mutex_unlock(&nl_stats_lock);
}

void ward_native_llvm_stats(ward_native_stats *out)
{
    pthread_mutex_lock(&nl_stats_lock);
    *out = nl_stats_pub;
    pthread_mutex_unlock(&nl_stats_lock);
}

/* ---- the JIT ----------------------------------------------------------------------------- */

/* The hash of the code generator's sources (Makefile): part of every key. */
#ifndef WARD_NATIVE_KEY
#define WARD_NATIVE_KEY "unversioned"
#endif

static LLVMOrcLLJITRef nl_jit;
static char *nl_cpu, *nl_features;
/* Guard pages for flat 32-bit memories (nl.h): x86-64 only (the access
 * instructions are x86 asm), and only with the fault handler installed;
 * WARD_NATIVE_NO_GUARD=1 keeps explicit bounds checks (for comparison). */
static bool nl_guard;
static bool nl_fast = true; /* WARD_NATIVE_FAST=0: no fast copies of loops (to compare) */
static char nl_init_error[256];
static pthread_once_t nl_once = PTHREAD_ONCE_INIT;
static bool nl_exiting; /* guarded by nl_lock */

/* Compilations run on threads of their own (native.c), and one its caller
 * stopped waiting for may still run when the process exits: exit waits
 * for it here, before LLVM's static destructors run, and no compilation
 * starts after. (ward-native leaves with _exit instead: cli/run.c.) */
static void nl_at_exit(void)
{
    pthread_mutex_lock(&nl_lock);
    nl_exiting = true;
    pthread_mutex_unlock(&nl_lock);
}

static void nl_error_to(char *buf, size_t n, LLVMErrorRef e)
{
    char *msg = LLVMGetErrorMessage(e);
    snprintf(buf, n, "%s", msg);
    LLVMDisposeErrorMessage(msg);
}

static void nl_init(void)
{
    LLVMInitializeNativeTarget();
    LLVMInitializeNativeAsmPrinter();
    atexit(nl_at_exit);
    LLVMInitializeNativeAsmParser(); /* the guarded accesses are inline asm */
    /* -O2 unswitches loops only on conditions that need no copy of the
     * loop. The flag tests of paged and tagged memories (is the guarded
     * base set, are there tags) are loop-invariant and need one: this
     * lets LLVM make the loop twice, once per answer. X86's domain
     * reassignment (general registers to AVX-512 mask registers) was a
     * third of the code generation of a function of 1,000 loads (4.9 s of
     * 12 s, "Large functions" below) and left its object unchanged: off. */
    const char *opts[] = {"ward", "-enable-nontrivial-unswitch",
                          "-disable-x86-domain-reassignment"};
    LLVMParseCommandLineOptions(3, opts, NULL);
    nl_cpu = LLVMGetHostCPUName();
    nl_features = LLVMGetHostCPUFeatures();
#if defined(__x86_64__)
    const char *ng = getenv("WARD_NATIVE_NO_GUARD");
    nl_guard = !(ng && *ng && strcmp(ng, "0") != 0) && nat_guard_install();
#endif
    const char *fe = getenv("WARD_NATIVE_FAST");
    nl_fast = !(fe && !strcmp(fe, "0"));
    LLVMErrorRef e = LLVMOrcCreateLLJIT(&nl_jit, NULL);
    if (e) {
        nl_error_to(nl_init_error, sizeof nl_init_error, e);
        nl_jit = NULL;
        return;
    }
    /* The helpers of native.h, by name. */
    LLVMOrcCSymbolMapPair *pairs = calloc(nat_nhelpers, sizeof *pairs);
    for (uint32_t i = 0; i < nat_nhelpers; i++) {
        pairs[i].Name = LLVMOrcLLJITMangleAndIntern(nl_jit, nat_helpers[i].name);
        pairs[i].Sym.Address = (LLVMOrcJITTargetAddress)(uintptr_t)nat_helpers[i].addr;
        pairs[i].Sym.Flags.GenericFlags =
            LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable;
    }
    LLVMOrcMaterializationUnitRef mu = LLVMOrcAbsoluteSymbols(pairs, nat_nhelpers);
    free(pairs);
    e = LLVMOrcJITDylibDefine(LLVMOrcLLJITGetMainJITDylib(nl_jit), mu);
    if (e) {
        nl_error_to(nl_init_error, sizeof nl_init_error, e);
        nl_jit = NULL;
    }
}

bool nl_jit_fast(void)
{
    return nl_fast;
}

bool nl_jit_guard(void)
{
    return nl_guard;
}

static LLVMTargetMachineRef nl_target_machine(char *err, size_t n)
{
    char *triple = LLVMGetDefaultTargetTriple();
    LLVMTargetRef t;
    char *msg = NULL;
    LLVMTargetMachineRef tm = NULL;
    if (LLVMGetTargetFromTriple(triple, &t, &msg)) {
        snprintf(err, n, "no LLVM target for %s: %s", triple, msg);
        LLVMDisposeMessage(msg);
    } else {
        LLVMCodeGenOptLevel lvl = nl_opt_level == 0   ? LLVMCodeGenLevelNone
                                  : nl_opt_level == 1 ? LLVMCodeGenLevelLess
                                  : nl_opt_level == 2 ? LLVMCodeGenLevelDefault
                                                      : LLVMCodeGenLevelAggressive;
        tm = LLVMCreateTargetMachine(t, triple, nl_cpu, nl_features, lvl, LLVMRelocPIC,
                                     LLVMCodeModelSmall);
        if (!tm) snprintf(err, n, "cannot create an LLVM target machine for %s", triple);
    }
    LLVMDisposeMessage(triple);
    return tm;
}

/* ---- keys ------------------------------------------------------------------------------- */

static void nl_hash(const void *p, size_t n, uint8_t out[NL_KEY])
{
    llvm_blake3_hasher h;
    llvm_blake3_hasher_init(&h);
    llvm_blake3_hasher_update(&h, p, n);
    llvm_blake3_hasher_finalize(&h, out, NL_KEY);
}

static uint32_t nl_big_bound(void);

/* What the code of a module for memory modes `modes` depends on. */
static void nl_key(const uint8_t *wasm, size_t len, const uint8_t *modes, uint32_t nmems, int opt,
                   uint8_t out[NL_KEY])
{
    llvm_blake3_hasher h;
    llvm_blake3_hasher_init(&h);
    /* The code's convention with the runtime (w_exec layout, body calls, the
     * guard-page site table): bumped when it changes, so that older cache
     * entries and artifacts are not used. */
    llvm_blake3_hasher_update(&h, "ward-native-3", 13);
    uint8_t guard = nl_guard, fast = nl_fast;
    llvm_blake3_hasher_update(&h, &guard, 1);
    llvm_blake3_hasher_update(&h, &fast, 1);
    llvm_blake3_hasher_update(&h, WARD_VERSION, strlen(WARD_VERSION) + 1);
    llvm_blake3_hasher_update(&h, WARD_NATIVE_KEY, strlen(WARD_NATIVE_KEY) + 1);
    llvm_blake3_hasher_update(&h, nl_cpu, strlen(nl_cpu) + 1);
    llvm_blake3_hasher_update(&h, nl_features, strlen(nl_features) + 1);
    uint32_t o = (uint32_t)opt, big = nl_big_bound();
    llvm_blake3_hasher_update(&h, &o, sizeof o);
    llvm_blake3_hasher_update(&h, &big, sizeof big);
    llvm_blake3_hasher_update(&h, &nmems, sizeof nmems);
    llvm_blake3_hasher_update(&h, modes, nmems);
    uint64_t n = len;
    llvm_blake3_hasher_update(&h, &n, sizeof n);
    llvm_blake3_hasher_update(&h, wasm, len);
    llvm_blake3_hasher_finalize(&h, out, NL_KEY);
}

static void nl_hex(const uint8_t *k, char *out)
{
    for (int i = 0; i < NL_KEY; i++)
        sprintf(out + 2 * i, "%02x", k[i]);
}

/* ---- loaded code, shared by key ------------------------------------------------------------ */

typedef struct nl_loaded {
    uint8_t key[NL_KEY];
    LLVMOrcResourceTrackerRef rt;
    w_native_entry *entries;
    uint32_t nfuncs;
    w_native_site *sites; /* registered with nat_code_add, sorted by pc */
    uint32_t nsites;
    unsigned refs;
    struct nl_loaded *next;
} nl_loaded;

/* Objects handed in by ward_native_load_artifact, waiting for their module. */
typedef struct nl_preload {
    uint8_t key[NL_KEY];
    uint8_t *obj;
    size_t len;
    struct nl_preload *next;
} nl_preload;

static nl_loaded *nl_loaded_list;
static nl_preload *nl_preloads;

static int nl_site_cmp(const void *a, const void *b)
{
    uintptr_t x = ((const w_native_site *)a)->pc, y = ((const w_native_site *)b)->pc;
    return x < y ? -1 : x > y;
}

/* Reads the sites of loaded code (nl.h: the entries between <prefix>_pcs
 * and <prefix>_pce) into l and registers them. False with err if the
 * table is malformed or cannot be registered: the code must not run. */
static bool nl_load_sites(nl_loaded *l, const char *hex, char *err, size_t n)
{
    char name[2 * NL_KEY + 16];
    LLVMOrcExecutorAddress a = 0, b = 0;
    snprintf(name, sizeof name, "w%.16s_pcs", hex);
    LLVMErrorRef e = LLVMOrcLLJITLookup(nl_jit, &a, name);
    if (e) {
        /* No table: code without guarded accesses (compiled without guard
         * pages, or with no memory). */
        LLVMConsumeError(e);
        return true;
    }
    snprintf(name, sizeof name, "w%.16s_pce", hex);
    e = LLVMOrcLLJITLookup(nl_jit, &b, name);
    if (e) {
        nl_error_to(err, n, e);
        return false;
    }
    if (b < a || (b - a) % NL_PCMAP_ENTRY != 0) {
        snprintf(err, n, "native code: malformed site table");
        return false;
    }
    uint64_t count = (b - a) / NL_PCMAP_ENTRY;
    if (count == 0) return true;
    l->sites = calloc(count, sizeof *l->sites);
    if (!l->sites) {
        snprintf(err, n, "out of memory");
        return false;
    }
    for (uint64_t i = 0; i < count; i++) {
        const uint8_t *p = (const uint8_t *)(uintptr_t)(a + i * NL_PCMAP_ENTRY);
        int32_t rel;
        uint32_t fi, pc;
        memcpy(&rel, p, 4);
        memcpy(&fi, p + 4, 4);
        memcpy(&pc, p + 8, 4);
        l->sites[i] = (w_native_site){(uintptr_t)p + (uintptr_t)(intptr_t)rel, fi, pc};
    }
    qsort(l->sites, count, sizeof *l->sites, nl_site_cmp);
    l->nsites = (uint32_t)count;
    if (!nat_code_add(l, l->sites, l->nsites)) {
        snprintf(err, n, "native code: too many modules with guard pages loaded");
        return false;
    }
    return true;
}

/* Loads object code for key: its entry table symbol is <prefix>_entries. */
static nl_loaded *nl_load_object(const uint8_t key[NL_KEY], const uint8_t *obj, size_t len,
                                 uint32_t nfuncs, char *err, size_t n)
{
    char hex[2 * NL_KEY + 1], name[2 * NL_KEY + 16];
    nl_hex(key, hex);
    LLVMOrcJITDylibRef jd = LLVMOrcLLJITGetMainJITDylib(nl_jit);
    LLVMOrcResourceTrackerRef rt = LLVMOrcJITDylibCreateResourceTracker(jd);
    LLVMMemoryBufferRef buf =
        LLVMCreateMemoryBufferWithMemoryRangeCopy((const char *)obj, len, hex);
    LLVMErrorRef e = LLVMOrcLLJITAddObjectFileWithRT(nl_jit, rt, buf);
    if (e) {
        nl_error_to(err, n, e);
        LLVMOrcReleaseResourceTracker(rt);
        return NULL;
    }
    LLVMOrcExecutorAddress addr = 0;
    snprintf(name, sizeof name, "w%.16s_entries", hex);
    e = LLVMOrcLLJITLookup(nl_jit, &addr, name);
    if (e) {
        nl_error_to(err, n, e);
        LLVMErrorRef e2 = LLVMOrcResourceTrackerRemove(rt);
        if (e2) LLVMConsumeError(e2);
        LLVMOrcReleaseResourceTracker(rt);
        return NULL;
    }
    nl_loaded *l = calloc(1, sizeof *l);
    l->entries = calloc(nfuncs ? nfuncs : 1, sizeof *l->entries);
    memcpy(l->key, key, NL_KEY);
    l->rt = rt;
    l->nfuncs = nfuncs;
    memcpy(l->entries, (void *)(uintptr_t)addr, nfuncs * sizeof *l->entries);
    if (!nl_load_sites(l, hex, err, n)) {
        nat_code_remove(l);
        LLVMErrorRef e2 = LLVMOrcResourceTrackerRemove(rt);
        if (e2) LLVMConsumeError(e2);
        LLVMOrcReleaseResourceTracker(rt);
        free(l->sites);
        free(l->entries);
        free(l);
        return NULL;
    }
    return l;
}

/* ---- large functions ------------------------------------------------------------------------
 * LLVM's -O2 is superlinear in the size of a function. Crafted functions
 * took minutes: the spec suite's skip-stack-guard-page module (one
 * function of 18 KiB: a thousand loads into a thousand locals, then the
 * stores) 212 s in paged memory. Measured (perf, -time-passes): jump
 * threading (lazy value info over a chain of a thousand tests of the same
 * memory state; the SSA updater after each threaded edge, walking to
 * uses far below), promotion of locals to registers (for each local, the
 * blocks it is live in), the SLP vectoriser. Even in flat memory a chain
 * of 2,000 `if`s over long-lived locals took 13 s. So a function of more
 * than NL_BIG LLVM instructions as generated, or whose allocas times
 * blocks exceed NL_BIG_LIVE (the cost of promoting its locals), is held
 * out of -O2 (`optnone`), gets NL_BIG_PASSES (common subexpressions
 * only: simplifycfg was quadratic too, merging thousands of returns into
 * one phi) and LLVM's fast instruction selection and register
 * allocation (`optnone` again for code generation). Its code is about as
 * good as -O0's, locals in memory; every other function of the module
 * gets -O2 as before. The largest function of the benchmark programs
 * (libc's vfprintf, or crc32's and interp's main in tagged memory) has
 * 34,000 instructions and 280,000 allocas times blocks, so none of them
 * takes this path. WARD_NATIVE_BIG=N sets the instruction bound (part of
 * the code's key), for tests that put every function through it. */
#define NL_BIG 40000u
#define NL_BIG_LIVE 500000u
#define NL_BIG_PASSES "function(early-cse)"

static uint32_t nl_big_bound(void)
{
    const char *e = getenv("WARD_NATIVE_BIG");
    if (!e || !*e) return NL_BIG;
    unsigned long v = strtoul(e, NULL, 10);
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static unsigned nl_attr_kind(const char *name)
{
    return LLVMGetEnumAttributeKindForName(name, strlen(name));
}

static bool nl_has_attr(LLVMValueRef f, unsigned kind)
{
    return LLVMGetEnumAttributeAtIndex(f, LLVMAttributeFunctionIndex, kind) != NULL;
}

static bool nl_has_str(LLVMValueRef f, const char *key)
{
    return LLVMGetStringAttributeAtIndex(f, LLVMAttributeFunctionIndex, key, strlen(key)) != NULL;
}

/* Adds or takes away `optnone` (and `noinline`, which LLVM requires with
 * it, unless the function had it before). Passes may delete functions,
 * so what was added is recorded on the function itself: a string
 * attribute `mark` (and `mark` with "-ni" for the `noinline`). */
static void nl_optnone(LLVMValueRef f, bool on, const char *mark)
{
    LLVMContextRef c = LLVMGetModuleContext(LLVMGetGlobalParent(f));
    unsigned on_k = nl_attr_kind("optnone"), ni_k = nl_attr_kind("noinline");
    char ni[32];
    snprintf(ni, sizeof ni, "%s-ni", mark);
    if (on) {
        LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(c, on_k, 0));
        LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex,
                                LLVMCreateStringAttribute(c, mark, strlen(mark), "", 0));
        if (nl_has_attr(f, ni_k)) return;
        LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(c, ni_k, 0));
        LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex,
                                LLVMCreateStringAttribute(c, ni, strlen(ni), "", 0));
        return;
    }
    LLVMRemoveEnumAttributeAtIndex(f, LLVMAttributeFunctionIndex, on_k);
    LLVMRemoveStringAttributeAtIndex(f, LLVMAttributeFunctionIndex, mark, strlen(mark));
    if (!nl_has_str(f, ni)) return;
    LLVMRemoveEnumAttributeAtIndex(f, LLVMAttributeFunctionIndex, ni_k);
    LLVMRemoveStringAttributeAtIndex(f, LLVMAttributeFunctionIndex, ni, strlen(ni));
}

/* Is f too large for -O2 (more than `bound` instructions, or more than
 * NL_BIG_LIVE allocas times blocks)? */
static bool nl_big(LLVMValueRef f, uint32_t bound)
{
    uint64_t insns = 0, blocks = 0, allocas = 0;
    for (LLVMBasicBlockRef b = LLVMGetFirstBasicBlock(f); b; b = LLVMGetNextBasicBlock(b)) {
        blocks++;
        for (LLVMValueRef i = LLVMGetFirstInstruction(b); i; i = LLVMGetNextInstruction(i))
            insns++, allocas += LLVMGetInstructionOpcode(i) == LLVMAlloca;
    }
    return insns > bound || allocas * blocks > NL_BIG_LIVE;
}

static bool nl_passes(LLVMModuleRef mod, LLVMTargetMachineRef tm, const char *passes, char *err,
                      size_t n)
{
    LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
    LLVMErrorRef e = LLVMRunPasses(mod, passes, tm, po);
    LLVMDisposePassBuilderOptions(po);
    if (e) nl_error_to(err, n, e);
    return !e;
}

/* Optimises mod: -O<level>, and the short path for large functions. */
static bool nl_optimise(LLVMModuleRef mod, LLVMTargetMachineRef tm, char *err, size_t n)
{
    char o2[32];
    snprintf(o2, sizeof o2, "default<O%d>", nl_opt_level);
    uint32_t bound = nl_big_bound();
    unsigned on_k = nl_attr_kind("optnone");
    LLVMContextRef c = LLVMGetModuleContext(mod);
    size_t nbig = 0;
    for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f)) {
        if (LLVMIsDeclaration(f) || nl_opt_level == 0 || nl_has_attr(f, on_k)) continue;
        if (!nl_big(f, bound)) continue;
        LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex,
                                LLVMCreateStringAttribute(c, "ward-big", 8, "", 0));
        nl_optnone(f, true, "ward-opt");
        nbig++;
    }
    if (!nl_passes(mod, tm, o2, err, n)) return false;
    if (!nbig) return true;
    /* The short pipeline for the large functions only: the others are
     * held out of it the way the large ones were held out of -O2. */
    for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f)) {
        if (nl_has_str(f, "ward-big"))
            nl_optnone(f, false, "ward-opt");
        else if (!LLVMIsDeclaration(f) && !nl_has_attr(f, on_k))
            nl_optnone(f, true, "ward-hold");
    }
    bool ok = nl_passes(mod, tm, NL_BIG_PASSES, err, n);
    for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f)) {
        if (nl_has_str(f, "ward-hold")) nl_optnone(f, false, "ward-hold");
        /* LLVM's fast instruction selection and register allocation */
        if (nl_has_str(f, "ward-big")) nl_optnone(f, true, "ward-opt");
    }
    return ok;
}

/* Generates, optimises and emits the object code of cs. Returns a
 * malloc'ed buffer, or NULL with err. */
static uint8_t *nl_emit(const w_module *m, const w_codeset *cs, const uint8_t key[NL_KEY],
                        size_t *len, uint32_t *ncompiled, char *err, size_t n)
{
    char hex[2 * NL_KEY + 1], prefix[32], name[64];
    nl_hex(key, hex);
    snprintf(prefix, sizeof prefix, "w%.16s", hex);
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = LLVMModuleCreateWithNameInContext(prefix, ctx);
    uint8_t *out = NULL;
    bool *ok = calloc(cs->nfuncs + 1, sizeof *ok);
    w_err werr;
    memset(&werr, 0, sizeof werr);
    LLVMTargetMachineRef tm = NULL;
    int count = nl_gen_module(ctx, mod, m, cs, prefix, ok, &werr);
    if (count < 0) {
        snprintf(err, n, "%s", werr.msg);
        goto done;
    }
    /* The site table's bounds (nl.h): module asm comes first in the
     * object, globals after all functions, so the sites of every function
     * lie between the two symbols. */
    if (nl_guard) {
        char text[256];
        int k = snprintf(text, sizeof text,
                         ".pushsection " NL_PCMAP_SECTION ",\"a\",@progbits\n.globl %s_pcs\n"
                         ".hidden %s_pcs\n.p2align 2\n%s_pcs:\n.popsection\n",
                         prefix, prefix, prefix);
        LLVMAppendModuleInlineAsm(mod, text, (size_t)k);
        snprintf(name, sizeof name, "%s_pce", prefix);
        LLVMTypeRef i32 = LLVMInt32TypeInContext(ctx);
        LLVMValueRef end = LLVMAddGlobal(mod, i32, name);
        LLVMSetInitializer(end, LLVMConstInt(i32, 0, 0));
        LLVMSetGlobalConstant(end, 1);
        LLVMSetSection(end, NL_PCMAP_SECTION);
        LLVMSetAlignment(end, 4);
    }
    /* The entry table: <prefix>_entries, NULL for functions left to the
     * interpreter. */
    {
        LLVMTypeRef ptr = LLVMPointerTypeInContext(ctx, 0);
        LLVMValueRef *vals = calloc(cs->nfuncs + 1, sizeof *vals);
        for (uint32_t i = 0; i < cs->nfuncs; i++) {
            snprintf(name, sizeof name, "%s_e%u", prefix, i);
            vals[i] = ok[i] ? LLVMGetNamedFunction(mod, name) : LLVMConstPointerNull(ptr);
        }
        snprintf(name, sizeof name, "%s_entries", prefix);
        LLVMValueRef gt = LLVMAddGlobal(mod, LLVMArrayType2(ptr, cs->nfuncs), name);
        LLVMSetInitializer(gt, LLVMConstArray2(ptr, vals, cs->nfuncs));
        LLVMSetGlobalConstant(gt, 1);
        free(vals);
    }
    *ncompiled = (uint32_t)count;
    if (nl_verify) {
        char *msg = NULL;
        if (LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg)) {
            snprintf(err, n, "invalid LLVM IR: %.200s", msg);
            LLVMDisposeMessage(msg);
            goto done;
        }
        LLVMDisposeMessage(msg);
    }
    tm = nl_target_machine(err, n);
    if (!tm) goto done;
    {
        char *triple = LLVMGetDefaultTargetTriple();
        LLVMSetTarget(mod, triple);
        LLVMDisposeMessage(triple);
        LLVMTargetDataRef dl = LLVMCreateTargetDataLayout(tm);
        LLVMSetModuleDataLayout(mod, dl);
        LLVMDisposeTargetData(dl);
    }
    if (!nl_optimise(mod, tm, err, n)) goto done;
    if (getenv("WARD_NATIVE_DUMP")) {
        char *msg = NULL;
        snprintf(name, sizeof name, "%s/%s.ll", getenv("WARD_NATIVE_DUMP"), prefix);
        if (LLVMPrintModuleToFile(mod, name, &msg)) LLVMDisposeMessage(msg);
    }
    {
        char *msg = NULL;
        LLVMMemoryBufferRef buf;
        if (LLVMTargetMachineEmitToMemoryBuffer(tm, mod, LLVMObjectFile, &msg, &buf)) {
            snprintf(err, n, "LLVM code generation failed: %.200s", msg ? msg : "");
            LLVMDisposeMessage(msg);
            goto done;
        }
        *len = LLVMGetBufferSize(buf);
        out = malloc(*len ? *len : 1);
        memcpy(out, LLVMGetBufferStart(buf), *len);
        LLVMDisposeMemoryBuffer(buf);
    }
done:
    if (tm) LLVMDisposeTargetMachine(tm);
    free(ok);
    LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    return out;
}

/* ---- the cache directory ------------------------------------------------------------------ */

/* An entry is an artifact (src/api/artifact.h) named by art_cache_path,
 * so that libward finds it without LLVM (`ward run -C native -C cache`
 * starts no ward-native when the code is there); here it is used only if
 * the key inside is this process's key of the code, which holds LLVM's
 * CPU name and features, guard pages and the bounds of large functions.
 * No CPU identity (not x86-64), no cache. */

/* The artifact of this process's code obj (key) of a module, for stores
 * of memory_mode / tagged (malloc'ed, *alen bytes); NULL with err. Shared
 * by `ward compile` and the cache. */
static uint8_t *nl_artifact(const uint8_t *wasm, size_t len, uint32_t features,
                            const uint8_t key[NL_KEY], const uint8_t *obj, size_t olen,
                            int memory_mode, bool tagged, size_t *alen, char *err, size_t errlen)
{
    uint8_t fh[NL_KEY];
    nl_hash(nl_features, strlen(nl_features), fh);
    w_artifact in;
    memset(&in, 0, sizeof in);
    snprintf(in.cpu, sizeof in.cpu, "%s", nl_cpu);
    in.cpu_features = fh;
    in.opt_level = (uint32_t)nl_opt_level;
    in.features = features;
    in.wasm = wasm, in.wasm_len = len;
    in.key = key;
    in.obj = obj, in.obj_len = olen;
    *alen = art_size(&in);
    uint8_t *a = malloc(*alen);
    if (!a) snprintf(err, errlen, "out of memory");
    if (a && !art_write(&in, memory_mode, tagged, a, err, errlen)) {
        free(a);
        a = NULL;
    }
    return a;
}

static uint8_t *nl_cache_read(const w_module *m, const uint8_t *modes, const uint8_t key[NL_KEY],
                              size_t *len)
{
    uint8_t *a, *obj = NULL;
    w_artifact art;
    /* A damaged entry, or one of other code, is not used (and is replaced
     * when this code is compiled). */
    if (!art_cache_find(nl_cache_dir, m->bytes, m->size, modes, m->nmems, (uint32_t)nl_opt_level,
                        &a, &art))
        return NULL;
    if (memcmp(art.key, key, NL_KEY) == 0 && (obj = malloc(art.obj_len)) != NULL)
        memcpy(obj, art.obj, art.obj_len), *len = art.obj_len;
    w_free(a);
    return obj;
}

static void nl_cache_write(const w_module *m, const uint8_t *modes, const uint8_t key[NL_KEY],
                           const uint8_t *obj, size_t len)
{
    char path[4096], tmp[4200], err[200];
    if (!art_cache_path(nl_cache_dir, m->bytes, m->size, modes, m->nmems, (uint32_t)nl_opt_level,
                        path, sizeof path))
        return;
    int mode;
    bool tagged;
    art_cache_mode(modes, m->nmems, &mode, &tagged);
    size_t total = 0;
    uint8_t *a = nl_artifact(m->bytes, m->size, m->features, key, obj, len, mode, tagged, &total,
                             err, sizeof err);
    if (!a) return;
    mkdir(nl_cache_dir, 0700);
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (f) {
        bool ok = fwrite(a, 1, total, f) == total;
        ok = fclose(f) == 0 && ok;
        /* Renamed into place: readers never see half a file. */
        if (!ok || rename(tmp, path) != 0) unlink(tmp);
    }
    free(a);
}

/* ---- the backend ------------------------------------------------------------------------- */

static double nl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void nl_modes(const w_module *m, const w_codeset *cs, uint8_t *modes)
{
    for (uint32_t i = 0; i < m->nmems; i++)
        modes[i] = cs->cfg.mem_mode ? cs->cfg.mem_mode[i] : W_MEM_FLAT;
}

static bool nl_compile(const w_module *m, const w_codeset *cs, w_native_set *set, w_err *err)
{
    pthread_once(&nl_once, nl_init);
    if (!nl_jit) {
        w_fail_nooff(err, W_ERR_INTERNAL, "LLVM JIT unavailable: %s", nl_init_error);
        return false;
    }
    uint8_t *modes = calloc(m->nmems + 1, 1);
    uint8_t key[NL_KEY];
    nl_modes(m, cs, modes);
    nl_key(m->bytes, m->size, modes, m->nmems, nl_opt_level, key);
    char msg[256] = "";
    pthread_mutex_lock(&nl_lock);
    if (nl_exiting) {
        pthread_mutex_unlock(&nl_lock);
        free(modes);
        w_fail_nooff(err, W_ERR_INTERNAL, "native code: the process is exiting");
        return false;
    }
    for (nl_loaded *l = nl_loaded_list; l; l = l->next) {
        if (memcmp(l->key, key, NL_KEY) == 0 && l->nfuncs == cs->nfuncs) {
            l->refs++;
            set->handle = l;
            goto found;
        }
    }
    {
        size_t len = 0;
        uint32_t ncompiled = 0;
        uint8_t *obj = NULL;
        bool fresh = false;
        double t0 = nl_now_ms();
        /* An AOT artifact's object, then the cache, then LLVM. */
        for (nl_preload **pp = &nl_preloads; *pp; pp = &(*pp)->next) {
            if (memcmp((*pp)->key, key, NL_KEY) == 0) {
                nl_preload *p = *pp;
                obj = p->obj, len = p->len;
                *pp = p->next;
                free(p);
                nl_stats.artifact_loads++;
                break;
            }
        }
        if (!obj && (obj = nl_cache_read(m, modes, key, &len)) != NULL) nl_stats.cache_hits++;
        if (!obj) {
            obj = nl_emit(m, cs, key, &len, &ncompiled, msg, sizeof msg);
            fresh = obj != NULL;
        }
        nl_loaded *l = obj ? nl_load_object(key, obj, len, cs->nfuncs, msg, sizeof msg) : NULL;
        if (l && fresh) {
            nl_cache_write(m, modes, key, obj, len);
            nl_stats.modules_compiled++;
            nl_stats.compile_ms += nl_now_ms() - t0;
            nl_stats.object_bytes += len;
            nl_stats.code_bytes += m->size;
        }
        free(obj);
        if (!l) {
            nl_stats_publish();
            pthread_mutex_unlock(&nl_lock);
            free(modes);
            w_fail_nooff(err, W_ERR_INTERNAL, "native code: %s", msg);
            return false;
        }
        (void)ncompiled;
        l->refs = 1;
        l->next = nl_loaded_list;
        nl_loaded_list = l;
        set->handle = l;
    }
found:;
    free(modes);
    nl_loaded *l = set->handle;
    uint32_t nc = 0;
    for (uint32_t i = 0; i < cs->nfuncs; i++) {
        set->entries[i] = l->entries[i];
        if (l->entries[i]) nc++;
    }
    set->ncompiled = nc;
    nl_stats.funcs_native += nc;
    nl_stats.funcs_interp += cs->nfuncs - nc;
    nl_stats_publish();
    pthread_mutex_unlock(&nl_lock);
    return nc > 0 || cs->nfuncs == 0;
}

static void nl_release(w_native_set *set)
{
    nl_loaded *l = set->handle;
    if (!l) return;
    pthread_mutex_lock(&nl_lock);
    if (--l->refs == 0) {
        for (nl_loaded **pp = &nl_loaded_list; *pp; pp = &(*pp)->next) {
            if (*pp == l) {
                *pp = l->next;
                break;
            }
        }
        nat_code_remove(l);
        LLVMErrorRef e = LLVMOrcResourceTrackerRemove(l->rt);
        if (e) LLVMConsumeError(e);
        LLVMOrcReleaseResourceTracker(l->rt);
        free(l->sites);
        free(l->entries);
        free(l);
    }
    pthread_mutex_unlock(&nl_lock);
    set->handle = NULL;
}

static const w_native_backend nl_backend = {"llvm", nl_compile, nl_release};

const ward_native_backend *ward_native_llvm(void)
{
    return (const ward_native_backend *)(const void *)&nl_backend;
}

/* ---- AOT artifacts --------------------------------------------------------------------------
 * The format is libward's (src/api/artifact.h: header, Wasm, key, object,
 * hash), so that libward alone can check and run an artifact. What only
 * LLVM knows is checked here in addition: the CPU's name and feature string
 * as LLVM sees them and the optimisation level, which are part of the key. */

static uint8_t nl_mode_of(int memory_mode, bool tagged)
{
    if (tagged) return W_MEM_TAGGED;
    return memory_mode == 0 ? W_MEM_FLAT : W_MEM_PAGED;
}

/* Compiles the module for stores of memory_mode / mem_safety: its object
 * (malloc'ed) and key; what else describes the code is nl_cpu,
 * nl_features and nl_opt_level. */
static uint8_t *nl_compile_object(const uint8_t *wasm, size_t len, uint32_t features,
                                  int memory_mode, bool mem_safety, uint8_t key[NL_KEY],
                                  size_t *olen, char *err, size_t errlen)
{
    pthread_once(&nl_once, nl_init);
    if (!nl_jit) {
        snprintf(err, errlen, "LLVM unavailable: %s", nl_init_error);
        return NULL;
    }
    w_err werr;
    memset(&werr, 0, sizeof werr);
    w_module *m = dec_module_decode(wasm, len, features, NULL, &werr);
    if (!m || !cmp_compile_module(m, NULL, &werr)) {
        snprintf(err, errlen, "invalid module: %s (at byte %u)", werr.msg, (unsigned)werr.offset);
        if (m) dec_module_free(m);
        return NULL;
    }
    uint8_t *modes = calloc(m->nmems + 1, 1);
    for (uint32_t i = 0; i < m->nmems; i++)
        modes[i] = nl_mode_of(memory_mode, mem_safety);
    w_compile_cfg cfg = {m->nmems, modes};
    const w_codeset *cs = cmp_codeset_for(m, &cfg, NULL, &werr);
    nl_key(m->bytes, m->size, modes, m->nmems, nl_opt_level, key);
    free(modes);
    uint32_t nc = 0;
    double t0 = nl_now_ms();
    uint8_t *obj = cs ? nl_emit(m, cs, key, olen, &nc, err, errlen) : NULL;
    if (!cs) snprintf(err, errlen, "%s", werr.msg);
    if (obj) {
        pthread_mutex_lock(&nl_lock);
        nl_stats.modules_compiled++;
        nl_stats.compile_ms += nl_now_ms() - t0;
        nl_stats.object_bytes += *olen;
        nl_stats.code_bytes += m->size;
        nl_stats.funcs_native += nc;
        nl_stats.funcs_interp += cs->nfuncs - nc;
        nl_stats_publish();
        pthread_mutex_unlock(&nl_lock);
    }
    cmp_free_module_code(m);
    dec_module_free(m);
    return obj;
}

bool ward_native_compile_object(const uint8_t *wasm, size_t len, uint32_t features, int memory_mode,
                                bool mem_safety, ward_native_object *out, char *err, size_t errlen)
{
    uint8_t key[NL_KEY];
    memset(out, 0, sizeof *out);
    out->code = nl_compile_object(wasm, len, features, memory_mode, mem_safety, key, &out->len, err,
                                  errlen);
    if (!out->code) return false;
    memcpy(out->cpu, nl_cpu, strnlen(nl_cpu, sizeof out->cpu));
    nl_hash(nl_features, strlen(nl_features), out->cpu_features);
    out->opt_level = (uint32_t)nl_opt_level;
    return true;
}

bool ward_native_compile_artifact(const uint8_t *wasm, size_t len, uint32_t features,
                                  int memory_mode, bool mem_safety, uint8_t **out, size_t *out_len,
                                  char *err, size_t errlen)
{
    uint8_t key[NL_KEY];
    size_t olen = 0;
    uint8_t *obj =
        nl_compile_object(wasm, len, features, memory_mode, mem_safety, key, &olen, err, errlen);
    *out = obj ? nl_artifact(wasm, len, features, key, obj, olen, memory_mode, mem_safety, out_len,
                             err, errlen)
               : NULL;
    free(obj);
    return *out != NULL;
}

bool ward_native_load_artifact(const uint8_t *a, size_t len, int memory_mode, bool mem_safety,
                               const uint8_t **wasm, size_t *wasm_len, uint32_t *features,
                               char *err, size_t errlen)
{
    pthread_once(&nl_once, nl_init);
    if (!nl_jit) {
        snprintf(err, errlen, "LLVM unavailable: %s", nl_init_error);
        return false;
    }
    w_artifact art;
    if (!art_read(a, len, memory_mode, mem_safety, &art, err, errlen)) return false;
    uint8_t h[NL_KEY];
    nl_hash(nl_features, strlen(nl_features), h);
    if (strcmp(art.cpu, nl_cpu) != 0 || memcmp(h, art.cpu_features, NL_KEY) != 0) {
        snprintf(err, errlen, "artifact built for another CPU (%s%s, this one is %s): recompile it",
                 art.cpu, strcmp(art.cpu, nl_cpu) == 0 ? " with other features" : "", nl_cpu);
        return false;
    }
    if (art.opt_level != (uint32_t)nl_opt_level) {
        snprintf(err, errlen,
                 "artifact built with optimisation level %u, this run asks for %d: recompile it",
                 art.opt_level, nl_opt_level);
        return false;
    }
    *features = art.features;
    *wasm = art.wasm;
    *wasm_len = art.wasm_len;
    nl_preload *p = calloc(1, sizeof *p);
    if (p) p->obj = malloc(art.obj_len ? art.obj_len : 1);
    if (!p || !p->obj) {
        free(p);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    memcpy(p->obj, art.obj, art.obj_len);
    p->len = art.obj_len;
    memcpy(p->key, art.key, NL_KEY);
    pthread_mutex_lock(&nl_lock);
    p->next = nl_preloads;
    nl_preloads = p;
    pthread_mutex_unlock(&nl_lock);
    return true;
}

const char *ward_native_llvm_version(void)
{
    return "LLVM 19 (C API, ORC LLJIT)";
}
