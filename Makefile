# kscmp - build, test and run. `make run` and `make test` work on a fresh machine: both
# start with `make deps`, which installs what is missing from Debian packages.

CC       ?= cc
CLANG    ?= clang
# The engine (and base) link only these; the rest of the agent adds libcurl, libmicrohttpd,
# libssl (one mode of libcurl's TLS connections), libcrypto and libbpf.
ENGINE_PKGS := libseccomp yaml-0.1 jansson
PKGS     := $(ENGINE_PKGS) libcurl libmicrohttpd libssl libcrypto libbpf
WARN     := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wno-unused-parameter -Wno-format-truncation -Wno-format-nonliteral
BASEFLAGS = -std=gnu11 -D_GNU_SOURCE -Iagent -MMD -MP $(WARN) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
ENGINE_LIBS = $(shell pkg-config --libs $(ENGINE_PKGS) 2>/dev/null) -lm
LIBS      = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
CFLAGS   ?= -O2 -g
# How build/kscmp links its libraries. static (the default): one static-pie binary, with
# libcurl and libmicrohttpd built by deps/build.sh (HTTP(S) over OpenSSL only; HTTP only;
# cached in ~/.cache/kscmp-deps)
# and Debian's static archives of the rest: a process maps only the code it uses, which
# halves an idle agent's resident memory (docs/scale.md). shared: Debian's shared libraries
# (no download; what the unit tests, fuzzers and sanitizer builds always use).
LINK     ?= static
STATIC_LIBS := -lyaml -lssl -lcrypto -lbpf -lelf -lz -lm -lpthread
# The static-pie's relative relocations packed (DT_RELR, binutils 2.38 and glibc 2.36 on): 7 KB
# instead of 541 KB of .rela.dyn, which start-up reads whole and keeps resident (docs/scale.md).
# Left out where the linker does not know it (the same binary, those pages more); asked only
# when build/kscmp is linked.
STATIC_LDFLAGS = $(shell printf 'int main(void){return 0;}\n' | $(CC) -static-pie -Wl,-z,pack-relative-relocs \
                    -Wl,--fatal-warnings -x c - -o /dev/null >/dev/null 2>&1 && echo -Wl,-z,pack-relative-relocs)
SANFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# Debian packages the build, the tests and `make run` need.
DEB_PKGS := build-essential pkg-config clang clang-format libclang-rt-14-dev libseccomp-dev \
            libyaml-dev libjansson-dev libcurl4-openssl-dev libssl-dev libcmocka-dev libmicrohttpd-dev \
            runc crun busybox-static python3 python3-yaml openssl iproute2 util-linux curl shellcheck strace \
            containerd containernetworking-plugins iptables \
            libbpf-dev gperf

# agent/ in layers, lowest first; a layer includes only the layers before it (make layers).
#   base     cleanup, errors, hash map, logging, the event loop, counters, file reading
#   engine   the pure core: documents, decoding, inheritance, merge, rendering, the proof
#   node     the profile store, the reconciler, the --local source
#   kube     the API server as a source: kubeconfig, requests, watch streams, reflectors,
#            policy status and Events
#   program  main, the command line, the agent's wiring, the HTTP endpoint
LAYERS      := base engine node kube program
layer_srcs   = $(sort $(wildcard agent/$(1)/*.c))
CORE_SRCS   := $(call layer_srcs,base) $(call layer_srcs,engine)
REST_SRCS   := $(filter-out agent/program/main.c,$(call layer_srcs,node) $(call layer_srcs,kube) $(call layer_srcs,program))
SRCS        := $(CORE_SRCS) $(REST_SRCS) agent/program/main.c
CORE_OBJS   := $(CORE_SRCS:agent/%.c=build/obj/%.o)
# The syscall recorder's eBPF program (agent/node/bpf/), built with clang for the BPF target and
# carried inside the binary (agent/node/bpf_blob.S); CO-RE makes one build run on every kernel
# with BTF.
BPF_ARCH    := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
BPF_OBJ     := build/bpf/syscall_record.bpf.o
BPF_BLOB    := build/obj/node/bpf_blob.o
REST_OBJS   := $(REST_SRCS:agent/%.c=build/obj/%.o) $(BPF_BLOB)
CORE_SAN    := $(CORE_SRCS:agent/%.c=build/san/%.o)
REST_SAN    := $(REST_SRCS:agent/%.c=build/san/%.o) $(BPF_BLOB)
# The engine as a static library: `make` refuses one that reaches for libcurl, libmicrohttpd
# or inotify, and the engine's unit tests and fuzzers link it alone (with ENGINE_LIBS).
ENGINE_LIB  := build/libkscmp-engine.a
ENGINE_SAN  := build/libkscmp-engine-san.a
LIB_OBJS    := $(REST_OBJS) $(ENGINE_LIB)

UNIT_ENGINE := $(sort $(wildcard tests/unit/base/test_*.c tests/unit/engine/test_*.c))
UNIT_OTHER  := $(sort $(wildcard tests/unit/kube/test_*.c tests/unit/node/test_*.c))
UNIT_BINS   := $(addprefix build/unit/,$(basename $(notdir $(UNIT_ENGINE) $(UNIT_OTHER))))
FUZZ_ENGINE := $(sort $(wildcard tests/fuzz/engine/fuzz_*.c))
FUZZ_KUBE   := $(sort $(wildcard tests/fuzz/kube/fuzz_*.c))
FUZZ_BINS   := $(addprefix build/fuzz/,$(basename $(notdir $(FUZZ_ENGINE) $(FUZZ_KUBE))))
BENCH_SRCS  := $(sort $(wildcard bench/bench_*.c))
BENCH_BINS  := $(BENCH_SRCS:bench/%.c=build/bench/%)
TOOL_SRCS   := $(sort $(wildcard tests/tools/*.c))
TOOL_BINS   := $(TOOL_SRCS:tests/tools/%.c=build/tools/%)
C_FILES      = $(wildcard agent/*/*.[ch] tests/unit/*/*.[ch] tests/fuzz/*/*.c tests/tools/*.c bench/*.[ch])

.PHONY: all deps run test unit vectors fuzz format format-check bench clean install e2e \
        e2e-tools image-rootfs layers node-e2e

all: build/kscmp

deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing $$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

build/obj/%.o: agent/%.c
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(CFLAGS) -c $< -o $@

build/san/%.o: agent/%.c
	@mkdir -p $(@D)
	$(CC) $(BASEFLAGS) $(SANFLAGS) -c $< -o $@

$(BPF_OBJ): agent/node/bpf/syscall_record.bpf.c $(wildcard agent/node/bpf/*.h)
	@mkdir -p $(@D)
	$(CLANG) -g -O2 -Wall -Werror -target bpf -mcpu=v3 -D__TARGET_ARCH_$(BPF_ARCH) \
		-Iagent/node/bpf -c $< -o $@

$(BPF_BLOB): agent/node/bpf_blob.S $(BPF_OBJ)
	@mkdir -p $(@D)
	$(CC) -c -Wa,-I,build/bpf $< -o $@

# The layer rule, checked whenever the engine library is built: no include upwards, and no
# libcurl, libmicrohttpd or inotify symbol in base or engine; only program/ (the HTTP endpoint)
# includes libmicrohttpd.
layers:
	@bad=$$(for i in $$(seq 1 $(words $(LAYERS))); do \
		l=$$(echo $(LAYERS) | cut -d' ' -f$$i); up=$$(echo $(LAYERS) | cut -d' ' -f$$((i+1))-); \
		for u in $$up; do grep -ln "#include \"$$u/" agent/$$l/*.[ch] 2>/dev/null | sed "s|$$| includes $$u/|"; done; \
	done); if [ -n "$$bad" ]; then echo "layer rule broken (a lower layer includes a higher one):"; echo "$$bad"; exit 1; fi
	@bad=$$(grep -ln '#include "base/log.h"' agent/engine/*.[ch] $$(ls agent/base/*.[ch] | grep -v 'agent/base/log\.')); \
	if [ -n "$$bad" ]; then echo "base/ and engine/ do not log (base/error.h):"; echo "$$bad"; exit 1; fi
	@bad=$$(grep -ln '#include <microhttpd.h>' agent/base/*.[ch] agent/engine/*.[ch] agent/node/*.[ch] agent/kube/*.[ch]); \
	if [ -n "$$bad" ]; then echo "only program/ serves HTTP (libmicrohttpd):"; echo "$$bad"; exit 1; fi

define engine_lib
	@rm -f $@
	ar rcs $@ $^
	@if nm -u $@ | grep -E ' U (curl_|MHD_|inotify_)'; then \
		echo "$@: the engine must not use libcurl, libmicrohttpd or inotify (symbols above)"; rm -f $@; exit 1; fi
endef

$(ENGINE_LIB): $(CORE_OBJS) | layers
	$(engine_lib)

$(ENGINE_SAN): $(CORE_SAN) | layers
	$(engine_lib)

ifeq ($(LINK),static)
# glibc warns that getaddrinfo in a static program needs its NSS modules at run time: files
# and dns are built into glibc 2.34 and later, which is what the agent resolves with.
# libseccomp is deps/build.sh's too: the same version, patched to prove large profiles in a
# third of the time with the same programs (deps/patches/, tests/proof/).
# So is jansson: the same version, patched to parse a buffer without a call per byte, with the
# same values and errors (deps/patches/, tests/jansson/); a proof costs 10% fewer instructions.
# Where deps/build.sh cannot build the trimmed libcurl (no deb-src reachable, `apt-get source`
# refused, no network) or a static archive is missing, the same objects are linked on
# Debian's shared libraries instead, saying so: the agent works the same, with ~9 MiB more
# shared library pages resident (docs/scale.md). build/kscmp.link says which was used.
# deps/build.sh and its patches are prerequisites too: a changed patch builds a new libseccomp
# (a new cache key) and the agent must be linked on it.
build/kscmp: build/obj/program/main.o $(REST_OBJS) $(ENGINE_LIB) deps/build.sh $(wildcard deps/patches/*.patch)
	@rm -f build/kscmp.link; \
	if prefix=$$(bash deps/build.sh); then \
	  echo "$(CC) $(CFLAGS) -static-pie $(STATIC_LDFLAGS) $(filter-out deps/%,$^) -o $@ $$prefix/lib/libcurl.a $$prefix/lib/libmicrohttpd.a $$prefix/lib/libseccomp.a $$prefix/lib/libjansson.a $(STATIC_LIBS)"; \
	  $(CC) $(CFLAGS) -static-pie $(STATIC_LDFLAGS) $(filter-out deps/%,$^) -o $@ $$prefix/lib/libcurl.a $$prefix/lib/libmicrohttpd.a $$prefix/lib/libseccomp.a $$prefix/lib/libjansson.a $(STATIC_LIBS) >$@.log 2>&1; rc=$$?; \
	  grep -v -e "requires at runtime the shared libraries" -e ": in function .[A-Za-z_]*.:$$" $@.log; \
	  rm -f $@.log; \
	  if [ $$rc -eq 0 ]; then echo static >build/kscmp.link; \
	  else echo "make: the static link failed (above): linking build/kscmp on Debian's shared libraries instead"; fi; \
	else \
	  echo "make: deps/build.sh could not build the trimmed libcurl, libmicrohttpd and libseccomp (above): linking build/kscmp on Debian's shared libraries instead (the same agent, ~9 MiB more resident; 'make LINK=shared' skips the attempt)"; \
	fi; \
	if [ ! -s build/kscmp.link ]; then \
	  echo "$(CC) $(CFLAGS) $(filter-out deps/%,$^) -o $@ $(LIBS)"; \
	  $(CC) $(CFLAGS) $(filter-out deps/%,$^) -o $@ $(LIBS) && echo shared >build/kscmp.link; \
	fi
	ln -sf kscmp build/kubectl-kscmp
else
build/kscmp: build/obj/program/main.o $(REST_OBJS) $(ENGINE_LIB)
	$(CC) $(CFLAGS) $^ -o $@ $(LIBS)
	echo shared >build/kscmp.link
	ln -sf kscmp build/kubectl-kscmp
endif

# The same objects on Debian's shared libraries, whatever LINK says: for the tests that
# interpose a library function with LD_PRELOAD (tests/fakeapi), which a static program ignores.
build/kscmp-shared: build/obj/program/main.o $(REST_OBJS) $(ENGINE_LIB)
	$(CC) $(CFLAGS) $^ -o $@ $(LIBS)

# Unit tests of the engine link the engine library and its three libraries, nothing else.
build/unit/%: tests/unit/engine/%.c $(ENGINE_SAN) | build/unit
	$(CC) $(BASEFLAGS) $(SANFLAGS) -Itests/unit/engine $< $(ENGINE_SAN) -o $@ $(ENGINE_LIBS) -lcmocka

# test_proof.c's cases once more on deps/build.sh's patched libseccomp, the one build/kscmp's
# proof workers use (its own export into memory among them); test_proof runs them on Debian's.
# Without a patched archive it is built on Debian's too, as test_proof.
build/unit/test_proof_patched: tests/unit/engine/test_proof_patched.c tests/unit/engine/test_proof.c \
		$(ENGINE_SAN) deps/build.sh $(wildcard deps/patches/*.patch) | build/unit
	$(CC) $(BASEFLAGS) $(SANFLAGS) -Itests/unit/engine $< $(ENGINE_SAN) $(PATCHED_SECCOMP_A) -o $@ \
	  $(ENGINE_LIBS) -lcmocka

# So do unit tests of base (base is part of that library).
build/unit/%: tests/unit/base/%.c $(ENGINE_SAN) | build/unit
	$(CC) $(BASEFLAGS) $(SANFLAGS) $< $(ENGINE_SAN) -o $@ $(ENGINE_LIBS) -lcmocka

# The reflector's test drives it through a fake transport (kube/transport.h): it links no HTTP
# client, which proves the seam.
build/unit/test_reflector: tests/unit/kube/test_reflector.c build/san/kube/reflector.o \
		build/san/kube/transport.o build/san/kube/watch_stream.o build/san/kube/json_prune.o \
		$(ENGINE_SAN) | build/unit
	$(CC) $(BASEFLAGS) $(SANFLAGS) $< $(filter %.o,$^) $(ENGINE_SAN) -o $@ $(ENGINE_LIBS) -lcmocka

# The Events' test moves the clock pod_events reads (now_ms wrapped; the event loop's own calls
# are not: they are inside its object) to let a pod's budget tokens come without waiting.
build/unit/test_pod_events: tests/unit/kube/test_pod_events.c $(REST_SAN) $(ENGINE_SAN) | build/unit
	$(CC) $(BASEFLAGS) $(SANFLAGS) $< $(REST_SAN) $(ENGINE_SAN) -o $@ $(LIBS) -lcmocka \
	  -Wl,--wrap=now_ms

# The Kubernetes source's test gives it a fake transport (kube_transport wrapped) and makes the
# engine fail on cue (engine_put_policy wrapped); it does not reach the reconciler.
build/unit/test_kube_source: tests/unit/kube/test_kube_source.c $(REST_SAN) $(ENGINE_SAN) | build/unit
	$(CC) $(BASEFLAGS) $(SANFLAGS) $< $(REST_SAN) $(ENGINE_SAN) -o $@ $(LIBS) -lcmocka \
	  -Wl,--wrap=kube_transport,--wrap=engine_put_policy,--wrap=reconciler_set_written_hook

build/unit/%: tests/unit/kube/%.c $(REST_SAN) $(ENGINE_SAN) | build/unit
	$(CC) $(BASEFLAGS) $(SANFLAGS) $< $(REST_SAN) $(ENGINE_SAN) -o $@ $(LIBS) -lcmocka

# deps/build.sh's patched libseccomp archive, when it has been built (empty otherwise); looked up
# when a recipe that names it runs, after build/kscmp's has had the chance to build it.
PATCHED_SECCOMP_A = $(shell p=$$(bash deps/build.sh prefix 2>/dev/null) && [ -f "$$p/lib/libseccomp.a" ] && echo "$$p/lib/libseccomp.a")

# The proof arena's test links deps/build.sh's patched libseccomp when there is one, so that
# libseccomp's allocations go through the arena as in build/kscmp (PATCHED_SECCOMP: the test
# checks that they do); else Debian's, as the other unit tests.
build/unit/test_proof_arena: tests/unit/node/test_proof_arena.c $(REST_SAN) $(ENGINE_SAN) deps/build.sh \
		$(wildcard deps/patches/*.patch) | build/unit
	$(CC) $(BASEFLAGS) $(SANFLAGS) $(if $(PATCHED_SECCOMP_A),-DPATCHED_SECCOMP) $< $(REST_SAN) \
	  $(ENGINE_SAN) $(PATCHED_SECCOMP_A) -o $@ $(LIBS) -lcmocka

# A worker failing each allocation of a proof in turn, on the libseccomp and jansson build/kscmp
# links (deps/build.sh's patched ones, whose libseccomp sends its allocations through the
# arena's hooks; else Debian's, and then only jansson's go through them).
build/unit/test_prover_oom: tests/unit/node/test_prover_oom.c $(REST_SAN) $(ENGINE_SAN) deps/build.sh \
		$(wildcard deps/patches/*.patch) | build/unit
	$(CC) $(BASEFLAGS) $(SANFLAGS) -Itests/unit/engine $(if $(PATCHED_JANSSON_A),-DPATCHED_JANSSON) $< \
	  $(REST_SAN) $(ENGINE_SAN) $(PATCHED_SECCOMP_A) $(PATCHED_JANSSON_A) -o $@ $(LIBS) -lcmocka

build/unit/%: tests/unit/node/%.c $(REST_SAN) $(ENGINE_SAN) | build/unit
	$(CC) $(BASEFLAGS) $(SANFLAGS) $< $(REST_SAN) $(ENGINE_SAN) -o $@ $(LIBS) -lcmocka

FUZZ_CFLAGS = -std=gnu11 -D_GNU_SOURCE -Iagent $(shell pkg-config --cflags $(PKGS)) -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

# fuzz_proof proves each input with and without a proof worker's arena (node/proof_arena.c),
# on deps/build.sh's patched libseccomp when there is one (its allocations go through the arena
# only there), as build/kscmp's workers do.
build/fuzz/fuzz_proof: tests/fuzz/engine/fuzz_proof.c $(CORE_SRCS) agent/node/proof_arena.c \
		$(wildcard agent/*/*.h) deps/build.sh $(wildcard deps/patches/*.patch) | build/fuzz
	$(CLANG) $(FUZZ_CFLAGS) $< $(CORE_SRCS) agent/node/proof_arena.c $(PATCHED_SECCOMP_A) -o $@ \
	  $(ENGINE_LIBS)

build/fuzz/%: tests/fuzz/engine/%.c $(CORE_SRCS) $(wildcard agent/*/*.h tests/unit/engine/*.h) | build/fuzz
	$(CLANG) $(FUZZ_CFLAGS) $< $(CORE_SRCS) -o $@ $(ENGINE_LIBS)

build/fuzz/%: tests/fuzz/kube/%.c $(CORE_SRCS) $(call layer_srcs,node) $(call layer_srcs,kube) $(BPF_BLOB) | build/fuzz
	$(CLANG) $(FUZZ_CFLAGS) $< $(CORE_SRCS) $(call layer_srcs,node) $(call layer_srcs,kube) $(BPF_BLOB) -o $@ $(LIBS)

build/bench/%: bench/%.c $(LIB_OBJS) | build/bench
	$(CC) $(BASEFLAGS) $(CFLAGS) $< $(LIB_OBJS) -o $@ $(LIBS)

# The engine's benchmark parses API JSON with the jansson the agent is linked on (deps/build.sh's,
# when it is built: `deps/build.sh prefix` builds nothing), not Debian's.
build/bench/bench_engine: bench/bench_engine.c $(LIB_OBJS) | build/bench
	@j=$$(bash deps/build.sh prefix 2>/dev/null)/lib/libjansson.a; [ -f "$$j" ] || j=; \
	echo "$(CC) $(BASEFLAGS) $(CFLAGS) $< $(LIB_OBJS) -o $@ $$j $(LIBS)"; \
	$(CC) $(BASEFLAGS) $(CFLAGS) $< $(LIB_OBJS) -o $@ $$j $(LIBS)

build/tools/%: tests/tools/%.c $(LIB_OBJS) | build/tools
	$(CC) $(BASEFLAGS) $(CFLAGS) $< $(LIB_OBJS) -o $@ $(LIBS)

# The same tool on the libseccomp build/kscmp links (deps/build.sh's patched static archive),
# for tests/proof/ to compare with Debian's program for program; absent when deps/build.sh has
# not built it (then that suite says it skipped).
build/tools/bpf_export-agent: tests/tools/bpf_export.c $(LIB_OBJS) deps/build.sh $(wildcard deps/patches/*.patch) | build/tools
	@[ -n "$(PATCHED_SECCOMP_A)" ] || \
	  { echo "make: no libseccomp built by deps/build.sh (run 'bash deps/build.sh')" >&2; exit 1; }
	$(CC) $(BASEFLAGS) $(CFLAGS) $< $(LIB_OBJS) -o $@ $(PATCHED_SECCOMP_A) $(LIBS)

# deps/build.sh's patched jansson archive, when it has been built (empty otherwise), as
# PATCHED_SECCOMP_A. tests/jansson/ names another (PATCHED_JANSSON_A=...) to show that the
# comparison finds a difference.
PATCHED_JANSSON_A = $(shell p=$$(bash deps/build.sh prefix 2>/dev/null) && [ -f "$$p/lib/libjansson.a" ] && echo "$$p/lib/libjansson.a")

# The patched jansson against Debian's in one program (tests/jansson/): the archive's symbols
# renamed kpj_* so that the two copies do not clash.
build/tools/jansson_diff: tests/tools/jansson_diff.c deps/build.sh $(wildcard deps/patches/*.patch) | build/tools
	@[ -n "$(PATCHED_JANSSON_A)" ] || \
	  { echo "make: no jansson built by deps/build.sh (run 'bash deps/build.sh')" >&2; exit 1; }
	nm -g --defined-only $(PATCHED_JANSSON_A) | awk 'NF == 3 {print $$3, "kpj_" $$3}' | sort -u >$@.syms
	objcopy --redefine-syms=$@.syms $(PATCHED_JANSSON_A) $@-kpj.a
	$(CC) $(BASEFLAGS) $(CFLAGS) $< $@-kpj.a -o $@ $(shell pkg-config --libs jansson)

# LD_PRELOAD fault injection for tests/fakeapi (allocations that fail at named call sites).
build/tools/failalloc.so: tests/fakeapi/failalloc.c | build/tools
	$(CC) -shared -fPIC -O1 -g -Wall -Wextra -Werror $< -o $@ -ldl

build/unit build/fuzz build/bench build/tools:
	mkdir -p $@

unit: $(UNIT_BINS)
	@for t in $(UNIT_BINS); do $$t || exit 1; done

vectors: build/kscmp
	python3 tests/run_all.py vectors

format:
	clang-format -i $(C_FILES)

format-check:
	@clang-format --dry-run --Werror $(C_FILES)

# Long fuzzing runs: make fuzz FUZZ_SECONDS=600 (each fuzzer for that long), or
# make fuzz FUZZ_RUNS=1000000 (each for that many executions); FUZZ=fuzz_proof picks one.
# Corpora grow in tests/fuzz/corpus-NAME (not committed); the closing stats give executions
# and coverage.
FUZZ_SECONDS ?= 300
FUZZ_RUNS ?=
FUZZ ?= $(notdir $(FUZZ_BINS))
fuzz: $(FUZZ_BINS)
	@for n in $(FUZZ); do f=build/fuzz/$$n; mkdir -p tests/fuzz/corpus-$$n; echo "== $$n"; \
		LSAN_OPTIONS=$$( [ $$n = fuzz_proof ] && echo suppressions=$(CURDIR)/tests/fuzz/lsan-libseccomp.supp ) \
		$$f $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS)) -timeout=10 \
			-rss_limit_mb=2048 -print_final_stats=1 tests/fuzz/corpus-$$n tests/fuzz/seeds/$$n || exit 1; done

bench: $(BENCH_BINS) build/kscmp
	@for b in $(BENCH_BINS); do $$b || exit 1; done

# Everything `make test` needs built, then every suite; the last line counts them all.
test: deps
	$(MAKE) --no-print-directory build/kscmp build/kscmp-shared $(UNIT_BINS) $(FUZZ_BINS) $(TOOL_BINS)
	python3 tests/run_all.py

run: deps
	$(MAKE) --no-print-directory build/kscmp
	./tests/run-examples.sh

# The container image's root filesystem, as the Containerfile builds it (no engine needed).
image-rootfs: build/kscmp
	bash tests/image/rootfs.sh build/kscmp build/rootfs

# Builds (once, cached in ~/.cache/kscmp-e2e) kube-apiserver, etcd, helm, and for the node
# the kubelet, kube-controller-manager and kube-scheduler, for the e2e tests.
e2e-tools:
	bash tests/e2e/tools.sh --node

# The real-cluster suites alone (make test runs them too).
e2e: build/kscmp $(TOOL_BINS)
	python3 tests/run_all.py scripts-e2e

# kscmp on a real node: kubelet, containerd and runc start pods under its profiles (root;
# make test runs it too). The README's Tests section says what it proves.
node-e2e: deps build/kscmp
	python3 tests/run_all.py scripts-node

PREFIX ?= /usr/local
install: build/kscmp
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 build/kscmp $(DESTDIR)$(PREFIX)/bin/kscmp
	ln -sf kscmp $(DESTDIR)$(PREFIX)/bin/kubectl-kscmp

clean:
	rm -rf build

-include $(wildcard build/obj/*/*.d build/san/*/*.d build/unit/*.d)
