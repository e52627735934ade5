#!/bin/sh
# install_test.sh <build dir> <source dir> <generated dir>
#
# Installs the build into a fresh temporary prefix and checks it the way a user of the
# installed library meets it:
#   1. layout: libsipspec.a, libsipspec.so* with its SONAME, no RUNPATH into the build tree,
#      bin/sipspec, the .pc file and the CMake package files;
#   2. headers: every header of runtime/include/sipspec and of the generated include dir is
#      installed unchanged, and each one compiles on its own (-std=c11 -Werror);
#   3. symbols: every function and object the installed headers declare extern is defined
#      by both libsipspec.so (dynamic symbols) and libsipspec.a, and libsipspec.so exports
#      nothing else;
#   4. pkg-config: the example built with `--cflags --libs` (shared) and with `--static`
#      (static libraries only), run with MRCP_SIP_* set; and once with a bad value;
#   5. CMake: examples/ configured with find_package(sipspec CONFIG) from that prefix, both
#      targets (sipspec::sipspec, sipspec::sipspec_static) built and run; a version the
#      package does not provide is refused.
# Every failure prints what is wrong and exits 1. The prefix is removed on any exit.
# Tools come from the environment (set by CMakeLists.txt): CC GCC CMAKE CMAKE_GENERATOR
# PKG_CONFIG READELF NM SIPSPEC_VERSION SIPSPEC_SANITIZE.
set -eu

if [ $# -ne 3 ]; then
  echo "usage: install_test.sh <build dir> <source dir> <generated dir>" >&2
  exit 2
fi
build=$1
src=$2
gen=$3
: "${CC:?} ${GCC:?} ${CMAKE:?} ${CMAKE_GENERATOR:?} ${PKG_CONFIG:?} ${READELF:?} ${NM:?}"
: "${SIPSPEC_VERSION:?} ${SIPSPEC_SANITIZE:?}"
soversion=${SIPSPEC_VERSION%%.*}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sipspec-install.XXXXXX")
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
prefix=$tmp/prefix
checks=0

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
ok() {
  checks=$((checks + 1))
  echo "ok $checks - $*"
}
# expect <file> <extended regex> <what>: one line of the file matches.
expect() {
  if ! tr -d '\r' <"$1" | grep -Eq -- "$2"; then
    echo "--- $1:" >&2
    cat "$1" >&2
    fail "$3: no line matches /$2/"
  fi
}
# needed <binary>: its DT_NEEDED entries, one per line.
needed() {
  "$READELF" -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}
# run_example <binary> <name>: runs it with non-default MRCP_SIP_* values and checks the
# lines that prove each step used the library.
run_example() {
  out=$tmp/$2.out
  if ! env MRCP_SIP_TRANSPORT=tcp MRCP_SIP_RETRANS_T1_MS=250 MRCP_SIP_RETRANS_T2_MS=2000 \
      MRCP_SIP_RETRANS_T4_MS=4500 MRCP_SIP_INVITE_MAX_RETRANS=5 MRCP_SIP_UDP_MAX_SIZE=1200 \
      MRCP_SIP_DNS_SRV=0 timeout 60 "$1" >"$out" 2>"$tmp/$2.err"; then
    cat "$out" "$tmp/$2.err" >&2
    fail "$2: the example exited non-zero"
  fi
  expect "$out" '^config: transport=tcp t1=250ms t2=2000ms t4=4500ms invite_max_retrans=5 udp_max_size=1200$' \
    "$2: timers from MRCP_SIP_*"
  expect "$out" '^m=application 9 TCP/MRCPv2 1$' "$2: MRCP m-line of the offer"
  expect "$out" '^a=resource:speechsynth$' "$2: resource of the offer"
  expect "$out" '^m=audio 4000 RTP/AVP 0 8 101$' "$2: audio m-line of the offer"
  expect "$out" '^calling sip:mresources@127\.0\.0\.1:[0-9]+ over tcp$' "$2: call placed over MRCP_SIP_TRANSPORT"
  expect "$out" '^channel: speechsynth 32AECB234338@speechsynth at 127\.0\.0\.1:1544 over TCP$' \
    "$2: channel read from the server's answer"
  expect "$out" '^session: ok, status 200, ended local$' "$2: session established and ended with BYE"
  expect "$out" '^bad call: SIPSPEC_E_CONFIG \(bad configuration value\): MRCP_SIP_RETRANS_T1_MS="12x": ' \
    "$2: error name of the bad call"
  # A bad value in the real environment must stop it with the variable named.
  if env MRCP_SIP_RETRANS_T1_MS=soon timeout 60 "$1" >"$tmp/$2.bad.out" 2>"$tmp/$2.bad.err"; then
    fail "$2: MRCP_SIP_RETRANS_T1_MS=soon was accepted"
  fi
  expect "$tmp/$2.bad.err" 'SIPSPEC_E_CONFIG.*MRCP_SIP_RETRANS_T1_MS="soon"' "$2: bad environment reported"
  ok "$2 runs: config, offer, a call through the session API, and error lines as expected"
}

# --- 1. install and layout --------------------------------------------------------------
"$CMAKE" --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; fail "cmake --install $build failed"; }
ok "cmake --install into a fresh prefix"

lib=$prefix/lib
for f in "$lib/libsipspec.a" "$lib/libsipspec.so.$SIPSPEC_VERSION" "$lib/libsipspec.so.$soversion" \
         "$lib/libsipspec.so" "$prefix/bin/sipspec" "$lib/pkgconfig/sipspec.pc" \
         "$lib/cmake/sipspec/sipspecConfig.cmake" "$lib/cmake/sipspec/sipspecConfigVersion.cmake" \
         "$lib/cmake/sipspec/sipspecTargets.cmake"; do
  [ -f "$f" ] || fail "not installed: ${f#"$prefix"/}"
done
[ -x "$prefix/bin/sipspec" ] || fail "bin/sipspec is not executable"
[ -L "$lib/libsipspec.so" ] || fail "lib/libsipspec.so is not a symlink to the versioned library"
soname=$("$READELF" -d "$lib/libsipspec.so.$SIPSPEC_VERSION" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libsipspec.so.$soversion" ] || fail "SONAME is '$soname', expected libsipspec.so.$soversion"
for f in "$lib/libsipspec.so.$SIPSPEC_VERSION" "$prefix/bin/sipspec"; do
  if "$READELF" -d "$f" | grep -E '\((RUNPATH|RPATH)\)' | grep -qF "$build"; then
    fail "${f#"$prefix"/} keeps a RUNPATH into the build tree"
  fi
done
ok "libraries (SONAME $soname), bin/sipspec, sipspec.pc and the CMake package files installed"

# --- 2. headers -------------------------------------------------------------------------
inc=$prefix/include/sipspec
nhdr=0
for h in "$src"/runtime/include/sipspec/*.h "$gen"/include/sipspec/*.h; do
  [ -f "$h" ] || fail "no headers found at $h"
  name=$(basename "$h")
  [ -f "$inc/$name" ] || fail "header not installed: include/sipspec/$name"
  cmp -s "$h" "$inc/$name" || fail "installed include/sipspec/$name differs from $h"
  nhdr=$((nhdr + 1))
done
for g in events.h chart_uac_session.h; do
  [ -f "$inc/$g" ] || fail "generated header not installed: include/sipspec/$g"
done
for h in "$inc"/*.h; do
  name=$(basename "$h")
  printf '#include "sipspec/%s"\n#include "sipspec/%s"\nint main(void) { return 0; }\n' "$name" "$name" \
    >"$tmp/one.c"
  "$CC" -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Werror -fsyntax-only -I"$prefix/include" \
    "$tmp/one.c" 2>"$tmp/one.err" ||
    { cat "$tmp/one.err" >&2; fail "include/sipspec/$name does not compile on its own (or twice)"; }
done
ok "$nhdr headers installed unchanged; each compiles alone with -std=c11 -Werror"
# The umbrella header brings every public header: after #include "sipspec/sipspec.h" each
# header's include guard is already defined (chart headers through sipspec/charts.h).
: >"$tmp/umbrella.c"
echo '#include "sipspec/sipspec.h"' >>"$tmp/umbrella.c"
for h in "$inc"/*.h; do
  guard=$(sed -n -E 's/^#ifndef (SIPSPEC_[A-Z0-9_]+_H)$/\1/p' "$h" | head -n 1)
  [ -n "$guard" ] || fail "include/sipspec/$(basename "$h") has no SIPSPEC_..._H include guard"
  printf '#ifndef %s\n#error "sipspec/sipspec.h does not include sipspec/%s"\n#endif\n' "$guard" \
    "$(basename "$h")" >>"$tmp/umbrella.c"
done
echo 'int main(void) { return 0; }' >>"$tmp/umbrella.c"
"$CC" -std=c11 -Werror -fsyntax-only -I"$prefix/include" "$tmp/umbrella.c" 2>"$tmp/umbrella.err" ||
  { cat "$tmp/umbrella.err" >&2; fail "sipspec/sipspec.h is not the whole API"; }
ok "sipspec/sipspec.h includes all $nhdr public headers"

# --- 3. symbols -------------------------------------------------------------------------
: >"$tmp/all.c"
for h in "$inc"/*.h; do printf '#include "sipspec/%s"\n' "$(basename "$h")" >>"$tmp/all.c"; done
"$GCC" -std=c11 -fsyntax-only -I"$prefix/include" -aux-info "$tmp/aux.txt" "$tmp/all.c" ||
  fail "gcc -aux-info over the installed headers failed"
# Functions declared extern in an installed header (static inline wrappers are not symbols),
# then objects declared extern.
grep -F "/* $inc/" "$tmp/aux.txt" | grep -E '^/\* [^ ]+:[0-9]+:N[CF] \*/ extern ' |
  sed -E 's/ *\(.*//; s/.*[ *]//' | sort -u >"$tmp/functions.txt"
cat "$inc"/*.h | sed -n -E 's/^extern [^(]*[ *](sipspec_[A-Za-z0-9_]+)(\[[^]]*\])?;.*/\1/p' |
  sort -u >"$tmp/objects.txt"
sort -u "$tmp/functions.txt" "$tmp/objects.txt" >"$tmp/declared.txt"
ndecl=$(wc -l <"$tmp/declared.txt")
[ "$ndecl" -ge 20 ] || fail "only $ndecl extern declarations found in the installed headers"
grep -qx sipspec_errname "$tmp/declared.txt" || fail "sipspec_errname missing from the declared list"
grep -qx sipspec_chart_uac_session "$tmp/declared.txt" || fail "sipspec_chart_uac_session missing from the declared list"
"$NM" -D --defined-only "$lib/libsipspec.so" | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/so.txt"
"$NM" --defined-only "$lib/libsipspec.a" 2>/dev/null | awk 'NF == 3 && $2 ~ /[A-Z]/ { print $3 }' |
  sort -u >"$tmp/a.txt"
missing=$(comm -23 "$tmp/declared.txt" "$tmp/so.txt" | tr '\n' ' ')
[ -z "$missing" ] || fail "declared in include/sipspec but not exported by libsipspec.so: $missing"
missing=$(comm -23 "$tmp/declared.txt" "$tmp/a.txt" | tr '\n' ' ')
[ -z "$missing" ] || fail "declared in include/sipspec but not defined in libsipspec.a: $missing"
ok "all $ndecl extern functions and objects of the headers are in libsipspec.so and libsipspec.a"
# Sealed: the shared library exports nothing the headers do not declare (the library is
# compiled with hidden visibility; the public headers declare their API visible).
# (AddressSanitizer adds an __odr_asan.<name> indicator beside each exported object.)
extra=$(comm -13 "$tmp/declared.txt" "$tmp/so.txt" | grep -v '^__odr_asan\.' | tr '\n' ' ')
[ -z "$extra" ] || fail "exported by libsipspec.so but declared in no installed header: $extra"
nso=$(grep -cv '^__odr_asan\.' "$tmp/so.txt")
ok "libsipspec.so exports exactly the $nso declared functions and objects"
# One program that refers to every one of them, for the static link line below: it pulls
# every object of libsipspec.a in, so each dependency must be on that line.
{
  cat "$tmp/all.c"
  echo 'typedef void (*any_fn)(void);'
  echo 'static any_fn const functions[] = {'
  sed 's/.*/  (any_fn)&,/' "$tmp/functions.txt"
  echo '};'
  echo 'static const void *const objects[] = {'
  sed 's/.*/  \&&,/' "$tmp/objects.txt"
  echo '  0 };'
  echo 'int main(void) {'
  echo '  size_t n = 0;'
  echo '  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) n += functions[i] != 0;'
  echo '  for (size_t i = 0; objects[i]; i++) n++;'
  printf '  return n == %d ? 0 : 1;\n}\n' "$ndecl"
} >"$tmp/every_symbol.c"

# --- 4. pkg-config ----------------------------------------------------------------------
PKG_CONFIG_PATH=$lib/pkgconfig
export PKG_CONFIG_PATH
"$PKG_CONFIG" --exists --print-errors sipspec || fail "pkg-config cannot find sipspec in $PKG_CONFIG_PATH"
pcdir=$("$PKG_CONFIG" --variable=pcfiledir sipspec)
[ "$pcdir" = "$lib/pkgconfig" ] || fail "pkg-config used $pcdir/sipspec.pc, not the installed one"
v=$("$PKG_CONFIG" --modversion sipspec)
[ "$v" = "$SIPSPEC_VERSION" ] || fail "pkg-config --modversion says $v, expected $SIPSPEC_VERSION"
cflags=$("$PKG_CONFIG" --cflags sipspec)
libs=$("$PKG_CONFIG" --libs sipspec)
slibs=$("$PKG_CONFIG" --static --libs sipspec)
for want in -lev -lm -lssl -lcrypto; do
  case " $slibs " in *" $want "*) ;; *) fail "pkg-config --static --libs sipspec lacks $want: $slibs" ;; esac
done
if [ "$SIPSPEC_SANITIZE" = 1 ]; then
  case "$cflags $libs" in *-fsanitize=*) ;; *) fail "a sanitizer build's sipspec.pc must carry -fsanitize" ;; esac
fi
example=$src/examples/mrcp_client_min.c
warn="-std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Werror"
# shellcheck disable=SC2086 # word splitting of the flags is intended
"$CC" $warn "$example" $cflags $libs -Wl,-rpath,"$lib" -o "$tmp/pc_shared" 2>"$tmp/cc.err" ||
  { cat "$tmp/cc.err" >&2; fail "cc with pkg-config --cflags --libs sipspec failed"; }
needed "$tmp/pc_shared" | grep -qx "libsipspec.so.$soversion" ||
  fail "the pkg-config shared build does not load libsipspec.so.$soversion"
run_example "$tmp/pc_shared" pkg-config-shared
# Static: every library of the static link line from its .a, so a missing Libs.private
# entry shows up as an undefined symbol here.
# shellcheck disable=SC2086
"$CC" $warn "$example" $cflags -Wl,-Bstatic $slibs -Wl,-Bdynamic -o "$tmp/pc_static" 2>"$tmp/cc.err" ||
  { cat "$tmp/cc.err" >&2; fail "cc with pkg-config --static --libs sipspec (all static) failed"; }
if needed "$tmp/pc_static" | grep -E '^lib(sipspec|ev|ssl|crypto)\.so'; then
  fail "the pkg-config static build still loads a shared library it should have linked statically"
fi
run_example "$tmp/pc_static" pkg-config-static
# shellcheck disable=SC2086
"$CC" $warn "$tmp/every_symbol.c" $cflags -Wl,-Bstatic $slibs -Wl,-Bdynamic -o "$tmp/every_static" \
  2>"$tmp/cc.err" || { cat "$tmp/cc.err" >&2; fail "pkg-config --static --libs sipspec cannot link every symbol of libsipspec.a"; }
timeout 60 "$tmp/every_static" || fail "the program that refers to every symbol (static) failed"
# shellcheck disable=SC2086
"$CC" $warn "$tmp/every_symbol.c" $cflags $libs -Wl,-rpath,"$lib" -o "$tmp/every_shared" 2>"$tmp/cc.err" ||
  { cat "$tmp/cc.err" >&2; fail "pkg-config --libs sipspec cannot link every symbol of libsipspec.so"; }
timeout 60 "$tmp/every_shared" || fail "the program that refers to every symbol (shared) failed"
ok "every declared symbol links and loads with pkg-config, shared and --static"

# --- 5. CMake package -------------------------------------------------------------------
"$CMAKE" -S "$src/examples" -B "$tmp/consumer" -G "$CMAKE_GENERATOR" -DCMAKE_C_COMPILER="$CC" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON -DCMAKE_C_FLAGS=-Werror \
  >"$tmp/consumer.log" 2>&1 || { cat "$tmp/consumer.log" >&2; fail "configuring examples/ with find_package(sipspec) failed"; }
found=$(sed -n 's/^sipspec_DIR:PATH=//p' "$tmp/consumer/CMakeCache.txt")
[ "$found" = "$lib/cmake/sipspec" ] || fail "find_package(sipspec) used '$found', not the installed package"
"$CMAKE" --build "$tmp/consumer" >"$tmp/consumer-build.log" 2>&1 ||
  { cat "$tmp/consumer-build.log" >&2; fail "building examples/ against the installed package failed"; }
needed "$tmp/consumer/mrcp_client_min" | grep -qx "libsipspec.so.$soversion" ||
  fail "sipspec::sipspec did not link the shared library"
if needed "$tmp/consumer/mrcp_client_min_static" | grep -q '^libsipspec\.so'; then
  fail "sipspec::sipspec_static linked the shared library"
fi
run_example "$tmp/consumer/mrcp_client_min" cmake-shared
run_example "$tmp/consumer/mrcp_client_min_static" cmake-static

mkdir "$tmp/toonew"
printf 'cmake_minimum_required(VERSION 3.25)\nproject(toonew LANGUAGES C)\nfind_package(sipspec 99.0 CONFIG REQUIRED)\n' \
  >"$tmp/toonew/CMakeLists.txt"
if "$CMAKE" -S "$tmp/toonew" -B "$tmp/toonew/b" -G "$CMAKE_GENERATOR" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON >"$tmp/toonew.log" 2>&1; then
  fail "find_package(sipspec 99.0) accepted version $SIPSPEC_VERSION"
fi
expect "$tmp/toonew.log" "sipspecConfigVersion|version: $SIPSPEC_VERSION|$SIPSPEC_VERSION" \
  "find_package(sipspec 99.0) refusal names the installed version"
ok "find_package(sipspec 99.0) is refused"

echo "install test: $checks checks passed"
