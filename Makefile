# kscmp - build, test and run. `make run` and `make test` work on a fresh machine: both
# start with `make deps`, which installs what is missing from Debian packages.

CC       ?= cc
CLANG    ?= clang
PKGS     := libseccomp yaml-0.1 jansson libcurl libmicrohttpd
WARN     := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wno-unused-parameter -Wno-format-truncation -Wno-format-nonliteral
BASEFLAGS = -std=gnu11 -D_GNU_SOURCE -Iagent -MMD -MP $(WARN) $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS      = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
CFLAGS   ?= -O2 -g
SANFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# Debian packages the build, the tests and `make run` need.
DEB_PKGS := build-essential pkg-config clang clang-format libclang-rt-14-dev libseccomp-dev \
            libyaml-dev libjansson-dev libcurl4-openssl-dev libcmocka-dev libmicrohttpd-dev \
            runc busybox-static python3 openssl iproute2 util-linux curl shellcheck

SRCS      := $(sort $(wildcard agent/*.c))
LIB_SRCS  := $(filter-out agent/main.c,$(SRCS))
OBJS      := $(SRCS:agent/%.c=build/obj/%.o)
LIB_OBJS  := $(LIB_SRCS:agent/%.c=build/obj/%.o)
SAN_OBJS  := $(LIB_SRCS:agent/%.c=build/san/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/unit/%)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
BENCH_SRCS := $(sort $(wildcard bench/bench_*.c))
BENCH_BINS := $(BENCH_SRCS:bench/%.c=build/bench/%)
TOOL_SRCS := $(sort $(wildcard tests/tools/*.c))
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=build/tools/%)

.PHONY: all deps run test unit vectors fuzz format format-check bench clean install e2e \
        e2e-tools image-rootfs

all: build/kscmp

deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing $$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

build/obj/%.o: agent/%.c | build/obj
	$(CC) $(BASEFLAGS) $(CFLAGS) -c $< -o $@

build/san/%.o: agent/%.c | build/san
	$(CC) $(BASEFLAGS) $(SANFLAGS) -c $< -o $@

build/kscmp: $(OBJS)
	$(CC) $(CFLAGS) $^ -o $@ $(LIBS)
	ln -sf kscmp build/kubectl-kscmp

build/unit/%: tests/unit/%.c $(SAN_OBJS) | build/unit
	$(CC) $(BASEFLAGS) $(SANFLAGS) -Itests/unit $< $(SAN_OBJS) -o $@ $(LIBS) -lcmocka

build/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) | build/fuzz
	$(CLANG) -std=gnu11 -D_GNU_SOURCE -Iagent $(shell pkg-config --cflags $(PKGS)) -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $< $(LIB_SRCS) -o $@ $(LIBS)

build/bench/%: bench/%.c $(LIB_OBJS) | build/bench
	$(CC) $(BASEFLAGS) $(CFLAGS) $< $(LIB_OBJS) -o $@ $(LIBS)

build/tools/%: tests/tools/%.c $(LIB_OBJS) | build/tools
	$(CC) $(BASEFLAGS) $(CFLAGS) $< $(LIB_OBJS) -o $@ $(LIBS)

build/obj build/san build/unit build/fuzz build/bench build/tools:
	mkdir -p $@

unit: $(UNIT_BINS)
	@for t in $(UNIT_BINS); do $$t || exit 1; done

vectors: build/kscmp
	python3 ../shared/vectors/run.py build/kscmp

format:
	clang-format -i agent/*.[ch] tests/unit/*.[ch] tests/fuzz/*.c tests/tools/*.c bench/*.c 2>/dev/null || true

format-check:
	@clang-format --dry-run --Werror agent/*.[ch] $(wildcard tests/unit/*.[ch] tests/fuzz/*.c tests/tools/*.c bench/*.c)

# Long fuzzing runs: make fuzz FUZZ_SECONDS=600
FUZZ_SECONDS ?= 300
fuzz: $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do n=$$(basename $$f); mkdir -p tests/fuzz/corpus-$$n; \
		LSAN_OPTIONS=$$( [ $$n = fuzz_ocicheck ] && echo suppressions=$(CURDIR)/tests/fuzz/lsan-libseccomp.supp ) \
		$$f -max_total_time=$(FUZZ_SECONDS) tests/fuzz/corpus-$$n tests/fuzz/seeds/$$n || exit 1; done

bench: $(BENCH_BINS) build/kscmp
	@for b in $(BENCH_BINS); do $$b || exit 1; done

# Everything `make test` needs built, then every suite; the last line counts them all.
test: deps
	$(MAKE) --no-print-directory build/kscmp $(UNIT_BINS) $(FUZZ_BINS) $(TOOL_BINS)
	python3 tests/run_all.py

run: deps
	$(MAKE) --no-print-directory build/kscmp
	./tests/run-examples.sh

# The container image's root filesystem, as the Containerfile builds it (no engine needed).
image-rootfs: build/kscmp
	bash tests/image/rootfs.sh build/kscmp build/rootfs

# Builds (once, cached in ~/.cache/kscmp-e2e) kube-apiserver, etcd and helm for the e2e tests.
e2e-tools:
	bash tests/e2e/tools.sh

# The real-cluster suites alone (make test runs them too).
e2e: build/kscmp $(TOOL_BINS)
	python3 tests/run_all.py scripts-e2e

PREFIX ?= /usr/local
install: build/kscmp
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 build/kscmp $(DESTDIR)$(PREFIX)/bin/kscmp
	ln -sf kscmp $(DESTDIR)$(PREFIX)/bin/kubectl-kscmp

clean:
	rm -rf build

-include $(wildcard build/obj/*.d build/san/*.d build/unit/*.d)
