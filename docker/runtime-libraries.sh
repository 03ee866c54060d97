# Sourced by the image builds: copies into a root file system what a self-contained .NET app loads from the
# system — what ldd reports for the runtime and the given binaries, plus OpenSSL (hashing, AES-GCM, TLS), which
# .NET loads at run time — and the minimal /etc and /tmp an unprivileged user needs.
# shellcheck shell=bash

# copy_runtime_libraries ROOT BINARY... (binaries relative to ROOT/app)
copy_runtime_libraries() {
  local root=$1; shift
  local binaries=("$root/app/libcoreclr.so" "$root/app/libSystem.Native.so" "$root/app/libSystem.Security.Cryptography.Native.OpenSsl.so")
  for binary in "$@"; do binaries+=("$root/app/$binary"); done
  for lib in $( (ldd "${binaries[@]}" | awk '/=>/ {print $3} /ld-linux/ {print $1}'; \
      ls /usr/lib/x86_64-linux-gnu/libssl.so.3 /usr/lib/x86_64-linux-gnu/libcrypto.so.3) | sort -u); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  rm -f "$root/app/libcoreclrtraceptprovider.so"
  mkdir -p "$root/etc" "$root/tmp"
  chmod 1777 "$root/tmp"
}

# add_user ROOT NAME UID HOME
add_user() {
  printf 'root:x:0:0:root:/root:/nonexistent\n%s:x:%s:%s:%s:%s:/nonexistent\n' "$2" "$3" "$3" "$2" "$4" >"$1/etc/passwd"
  printf 'root:x:0:\n%s:x:%s:\n' "$2" "$3" >"$1/etc/group"
}
