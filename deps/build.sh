#!/usr/bin/env bash
# deps/build.sh - libcurl, libmicrohttpd, libseccomp and jansson built from Debian's source packages with only what
# the agent uses, as static libraries, once; the agent links them statically (make LINK=static,
# the default when this works). Why: Debian's libcurl is built for every protocol and
# authentication scheme, so loading it maps Kerberos, LDAP, SSH, RTMP, GnuTLS (through librtmp),
# p11-kit, IDN, PSL, nghttp2, zstd and brotli into the agent: about 4 MiB of resident shared
# library pages that a container is charged for, none of which the agent runs. See docs/scale.md
# for what each costs.
#
# What is built:
#   libcurl        HTTP and HTTPS only, over OpenSSL (Debian's libssl.a), threaded resolver,
#                  proxies from the environment; no HTTP/2 (the agent asks for HTTP/1.1), no
#                  compression, cookies, IDN, PSL, HSTS, alt-svc, DoH, NTLM, Kerberos/SPNEGO,
#                  LDAP, FTP, ... and no other protocol.
#   libmicrohttpd  HTTP only: no GnuTLS (--disable-https), no libcurl-based self tests.
#   libseccomp     the same version as Debian's, with deps/patches/libseccomp-*.patch: the
#                  agent proves every profile with it before writing it, and Debian's 2.5.4
#                  takes ~10 ms for a runtime/default-based profile, walking lists; patched,
#                  ~0.4 ms, with the same BPF programs byte for byte (the patch says what it
#                  changes; tests/proof/suite-libseccomp-build.sh compares the two), and
#                  seccomp_export_bpf_mem() as libseccomp 2.6 has it; and a hook for the
#                  allocator libseccomp uses, which the agent's proof workers set
#                  (agent/node/proof_arena.h). Needs gperf (make deps installs it).
#   jansson        the same version as Debian's, with deps/patches/jansson-*.patch: the proof
#                  starts with json_loadb() of the profile, which read it a byte at a time
#                  through a callback, ~125 instructions a byte; patched, whitespace and the
#                  plain bytes of strings are taken in runs, with the same values and errors
#                  (tests/jansson/ compares the two): a runtime/default-based proof 6.15M ->
#                  5.52M instructions. jansson's source has no configure script (only
#                  configure.ac), so its two configuration headers are written here, with
#                  what Debian's build of it finds on Linux and glibc.
# Versions: whatever the machine's Debian release has (`apt-get source`), so security updates
# come with `make deps && deps/build.sh` like the rest of the build; the version is part of the
# cache key.
#
# Sources come from the deb-src twin of each `deb` entry the machine's apt already uses (a
# private sources list and lists folder: the system's apt state is not touched). Nothing else
# is downloaded.
#
# Cache: ${KSCMP_DEPS_CACHE:-~/.cache/kscmp-deps}/<key>/{include,lib}, outside the repository,
# keyed on this script's contents and the versions built. Build logs next to them in logs/.
#
# Usage:
#   deps/build.sh            build what is missing, print the prefix (include/, lib/)
#   deps/build.sh prefix     print the prefix if everything is built, else exit 1 (no build)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=${KSCMP_DEPS_CACHE:-$HOME/.cache/kscmp-deps}
SELF_HASH=$(cat "$HERE/build.sh" "$HERE"/patches/*.patch | sha256sum | cut -c1-12)
JOBS=${KSCMP_DEPS_JOBS:-2}

say() { printf 'deps/build.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# The key of a finished build is remembered in ROOT/current-<SELF_HASH>, so that a later call
# (every `make`) finds it without asking apt which versions exist.
current() {
	local f=$ROOT/current-$SELF_HASH p
	[ -f "$f" ] || return 1
	p=$(cat "$f")
	[ -f "$p/.done" ] || return 1
	echo "$p"
}

# apt with a private sources list (deb-src twins of the machine's deb entries) and lists.
APT_DIR=
apt_src() {
	apt_tool apt-get "$@"
}
apt_tool() {
	local tool=$1
	shift
	"$tool" -q -o Dir::Etc::SourceList="$APT_DIR/sources.list" \
		-o Dir::Etc::SourceParts="$APT_DIR/sources.list.d" \
		-o Dir::State::Lists="$APT_DIR/lists" -o Dir::Cache="$APT_DIR/cache" \
		-o APT::Sandbox::User=root "$@"
}

prepare_apt() {
	APT_DIR=$1
	mkdir -p "$APT_DIR/sources.list.d" "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
	: >"$APT_DIR/sources.list"
	local f n=0
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		sed 's/^Types:.*\bdeb\b.*$/Types: deb-src/' "$f" >"$APT_DIR/sources.list.d/$(basename "$f")"
		n=$((n + 1))
	done
	if [ -f /etc/apt/sources.list ]; then
		sed -n 's/^deb \(.*\)$/deb-src \1/p' /etc/apt/sources.list >>"$APT_DIR/sources.list"
		[ -s "$APT_DIR/sources.list" ] && n=$((n + 1))
	fi
	[ $n -gt 0 ] || die "no apt sources found in /etc/apt to take the source packages from"
	apt_src update >"$APT_DIR/update.log" 2>&1 || {
		tail -n 20 "$APT_DIR/update.log" >&2
		die "apt-get update of the source lists failed"
	}
}

# src_version PACKAGE: the newest source version the lists know.
src_version() {
	apt_tool apt-cache showsrc "$1" 2>/dev/null | awk '/^Version:/ {print $2}' | sort -V | tail -n1
}

fetch_source() {
	local pkg=$1 ver=$2 dest=$3
	mkdir -p "$dest"
	(cd "$dest" && apt_src source --download-only "$pkg=$ver") >"$dest/download.log" 2>&1 || {
		tail -n 20 "$dest/download.log" >&2
		die "apt-get source $pkg=$ver failed"
	}
	(cd "$dest" && dpkg-source --no-check -x ./*.dsc tree) >"$dest/unpack.log" 2>&1 || {
		tail -n 20 "$dest/unpack.log" >&2
		die "dpkg-source -x $pkg failed"
	}
}

# apply_patches NAME: deps/patches/NAME-*.patch, in the current directory (a source tree).
apply_patches() {
	local p
	for p in "$HERE"/patches/"$1"-*.patch; do
		[ -f "$p" ] || continue
		patch -p1 --forward --batch <"$p"
	done
}

# autotools_build NAME SRC PREFIX LOG LIBDIR INCLUDEDIR [CONFIGURE-ARGUMENT...]: a static
# library with position-independent code, built in SRC/LIBDIR and installed into PREFIX with the
# headers of SRC/INCLUDEDIR; with the patches deps/patches/NAME-*.patch applied first.
autotools_build() {
	local name=$1 src=$2 prefix=$3 log=$4 libdir=$5 incdir=$6
	shift 6
	(
		cd "$src"
		apply_patches "$name"
		./configure --prefix="$prefix" --disable-shared --enable-static --with-pic "$@"
		make -j"$JOBS" -C "$libdir"
		make -C "$libdir" install
		make -C "$incdir" install
	) >"$log" 2>&1 || {
		tail -n 30 "$log" >&2
		die "building $name failed (log: $log)"
	}
}

build_curl() {
	# Each feature the agent does not use is off; see the header of this file.
	autotools_build libcurl "$1" "$2" "$3" lib include \
		--with-openssl --enable-threaded-resolver --enable-ipv6 --enable-proxy \
		--with-ca-path=/etc/ssl/certs --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt \
		--without-zlib --without-brotli --without-zstd --without-libidn2 --without-libpsl \
		--without-nghttp2 --without-ngtcp2 --without-nghttp3 --without-quiche \
		--without-libssh2 --without-libssh --without-wolfssh --without-librtmp \
		--without-gssapi --without-libgsasl --without-hyper \
		--disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet \
		--disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp \
		--disable-gopher --disable-mqtt --disable-ftp --disable-file --disable-websockets \
		--disable-manual --disable-ntlm --disable-ntlm-wb --disable-kerberos-auth \
		--disable-negotiate-auth --disable-aws --disable-netrc --disable-cookies \
		--disable-alt-svc --disable-hsts --disable-doh --disable-mime --disable-form-api \
		--disable-unix-sockets --disable-socketpair --disable-verbose --disable-sspi \
		--disable-tls-srp --disable-dnsshuffle --disable-get-easy-options \
		--disable-progress-meter --disable-docs --disable-libcurl-option
}

build_seccomp() {
	autotools_build libseccomp "$1" "$2" "$3" src include --disable-python
}

build_mhd() {
	autotools_build libmicrohttpd "$1" "$2" "$3" src/microhttpd src/include \
		--disable-https --without-gnutls --disable-curl --disable-doc --disable-examples \
		--disable-nls --disable-dauth --disable-bauth --disable-postprocessor \
		--disable-httpupgrade
}

# build_jansson SRC PREFIX LOG: jansson's src/*.c compiled as configure.ac and src/Makefile.am
# would (the warnings are theirs), into PREFIX/lib/libjansson.a with jansson.h and
# jansson_config.h; with deps/patches/jansson-*.patch applied first. The values below are
# what Debian's build of jansson 2.14 finds on Linux with glibc: the public header comes out
# the same as libjansson-dev's /usr/include/jansson_config.h, which the agent compiles with.
build_jansson() {
	local src=$1 prefix=$2 log=$3
	(
		cd "$src"
		apply_patches jansson
		mkdir -p "$prefix/include" "$prefix/lib" build
		sed -e 's/@json_inline@/inline/' -e 's/@json_have_long_long@/1/' \
			-e 's/@json_have_localeconv@/1/' -e 's/@json_have_atomic_builtins@/1/' \
			-e 's/@json_have_sync_builtins@/1/' src/jansson_config.h.in >build/jansson_config.h
		# A substitution this list does not know (a newer jansson) must not pass unnoticed.
		if grep -n '@json_' build/jansson_config.h; then
			echo "jansson_config.h.in has substitutions deps/build.sh does not set (above)"
			exit 1
		fi
		cat >build/jansson_private_config.h <<-'EOF'
			/* Written by kscmp's deps/build.sh: what configure finds on Linux with glibc. */
			#define HAVE_ENDIAN_H 1
			#define HAVE_FCNTL_H 1
			#define HAVE_LOCALE_H 1
			#define HAVE_SCHED_H 1
			#define HAVE_UNISTD_H 1
			#define HAVE_SYS_PARAM_H 1
			#define HAVE_SYS_STAT_H 1
			#define HAVE_SYS_TIME_H 1
			#define HAVE_SYS_TYPES_H 1
			#define HAVE_STDINT_H 1
			#define HAVE_CLOSE 1
			#define HAVE_GETPID 1
			#define HAVE_GETTIMEOFDAY 1
			#define HAVE_LOCALECONV 1
			#define HAVE_OPEN 1
			#define HAVE_READ 1
			#define HAVE_SCHED_YIELD 1
			#define HAVE_STRTOLL 1
			#define HAVE_SYNC_BUILTINS 1
			#define HAVE_ATOMIC_BUILTINS 1
			#define USE_URANDOM 1
			#define INITIAL_HASHTABLE_ORDER 3
		EOF
		local f o objs=()
		for f in src/*.c; do
			o=build/$(basename "$f" .c).o
			${CC:-cc} -O2 -g -fPIC -DHAVE_CONFIG_H -Ibuild -Isrc -Wall -Wextra \
				-Wdeclaration-after-statement -Wshadow -Wno-format-truncation -c "$f" -o "$o"
			objs+=("$o")
		done
		rm -f "$prefix/lib/libjansson.a"
		ar rcs "$prefix/lib/libjansson.a" "${objs[@]}"
		cp src/jansson.h build/jansson_config.h "$prefix/include/"
	) >"$log" 2>&1 || {
		tail -n 30 "$log" >&2
		die "building jansson failed (log: $log)"
	}
}

cmd_build() {
	local p
	if p=$(current); then
		echo "$p"
		return 0
	fi
	# Two builds at once on one machine (a `make run` beside a `make test`) would both rebuild
	# the same folder: the second waits for the first and takes its result.
	mkdir -p "$ROOT"
	exec 9>"$ROOT/.lock"
	flock -n 9 || {
		say "another deps/build.sh is building into $ROOT: waiting for it (its lock: $ROOT/.lock)"
		flock 9
	}
	if p=$(current); then
		echo "$p"
		return 0
	fi
	command -v dpkg-source >/dev/null || die "dpkg-source is needed (apt-get install dpkg-dev)"
	command -v gperf >/dev/null || die "gperf is needed to build libseccomp (apt-get install gperf)"
	[ -f /usr/lib/"$(gcc -print-multiarch)"/libssl.a ] || die "libssl.a is needed (apt-get install libssl-dev)"
	mkdir -p "$ROOT"
	WORK=
	WORK=$(mktemp -d "$ROOT/work.XXXXXX")
	trap 'rm -rf "$WORK"' EXIT
	say "taking curl, libmicrohttpd, libseccomp and jansson from the machine's Debian release (source packages)"
	prepare_apt "$WORK/apt"
	local cv mv sv jv
	cv=$(src_version curl)
	mv=$(src_version libmicrohttpd)
	sv=$(src_version libseccomp)
	jv=$(src_version jansson)
	[ -n "$cv" ] || die "no source package curl in the apt lists"
	[ -n "$mv" ] || die "no source package libmicrohttpd in the apt lists"
	[ -n "$sv" ] || die "no source package libseccomp in the apt lists"
	[ -n "$jv" ] || die "no source package jansson in the apt lists"
	local key="curl-$cv+mhd-$mv+seccomp-$sv+jansson-$jv+$SELF_HASH"
	key=${key//[^A-Za-z0-9.+_-]/_}
	p=$ROOT/$key
	if [ ! -f "$p/.done" ]; then
		rm -rf "$p"
		mkdir -p "$p/logs"
		fetch_source curl "$cv" "$WORK/curl"
		fetch_source libmicrohttpd "$mv" "$WORK/mhd"
		fetch_source libseccomp "$sv" "$WORK/seccomp"
		fetch_source jansson "$jv" "$WORK/jansson"
		say "building libcurl $cv (HTTP(S) over OpenSSL only; ~1 min)"
		build_curl "$WORK/curl/tree" "$p" "$p/logs/curl.log"
		say "building libmicrohttpd $mv (HTTP only, no GnuTLS)"
		build_mhd "$WORK/mhd/tree" "$p" "$p/logs/libmicrohttpd.log"
		say "building libseccomp $sv (static, with deps/patches/libseccomp-*.patch)"
		build_seccomp "$WORK/seccomp/tree" "$p" "$p/logs/libseccomp.log"
		say "building jansson $jv (static, with deps/patches/jansson-*.patch)"
		build_jansson "$WORK/jansson/tree" "$p" "$p/logs/jansson.log"
		printf 'curl %s\nlibmicrohttpd %s\nlibseccomp %s (patched)\njansson %s (patched)\n' \
			"$cv" "$mv" "$sv" "$jv" >"$p/VERSIONS"
		touch "$p/.done"
	fi
	echo "$p" >"$ROOT/current-$SELF_HASH.tmp"
	mv -f "$ROOT/current-$SELF_HASH.tmp" "$ROOT/current-$SELF_HASH"
	echo "$p"
}

case ${1:-build} in
build) cmd_build ;;
prefix) current ;;
*) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
