#!/usr/bin/env bash
# rootfs.sh BINARY DEST - the runtime root filesystem of the kscmp image: the binary, its
# shared libraries (as ldd resolves them) and the dynamic loader, nothing else. The
# Containerfile runs this in its build stage; the tests run it here and start the agent from
# the result with chroot, so that a missing library shows without a container engine.
set -euo pipefail
bin=${1:?usage: rootfs.sh BINARY DEST}
dest=${2:?usage: rootfs.sh BINARY DEST}
rm -rf "$dest"
mkdir -p "$dest/usr/bin" "$dest/tmp" "$dest/etc"
install -m 0755 "$bin" "$dest/usr/bin/kscmp"
# Debug information stays in the build (symbols stay too, for backtraces).
objcopy --strip-debug "$dest/usr/bin/kscmp" 2>/dev/null || true
ln -s kscmp "$dest/usr/bin/kubectl-kscmp"
# Every library ldd names (absolute paths), copied at the same path, links resolved; none for
# the default static build (make LINK=static).
ldd "$bin" 2>/dev/null | awk '/=> \//{print $3} /^[ \t]*\/[^ ]+ \(/{print $1}' | sort -u | while read -r lib; do
    mkdir -p "$dest$(dirname "$lib")"
    cp -L "$lib" "$dest$lib"
done
# /lib64 -> usr/lib64 style links the loader path may rely on.
for l in /lib64 /lib; do
    if [ -L "$l" ] && [ ! -e "$dest$l" ]; then ln -s "$(readlink "$l")" "$dest$l"; fi
done
chmod 1777 "$dest/tmp"
printf 'root:x:0:0:root:/:/usr/bin/kscmp\n' >"$dest/etc/passwd"
printf 'root:x:0:\n' >"$dest/etc/group"
echo "rootfs.sh: $dest holds kscmp and $(find "$dest" -name '*.so*' | wc -l) shared libraries ($(du -sh "$dest" | cut -f1))"
