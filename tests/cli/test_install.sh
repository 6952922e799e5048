#!/bin/sh
# make install, as a cluster user does it: everything under a fresh prefix;
# a 20-line C program built against the installed headers and library
# through pkg-config, and the same through the CMake package, both run; the
# installed medseg runs from its prefix (its own libmedseg, its man pages).
set -u
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
build=$(cd "$(dirname "$MEDSEG")/.." && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
for tool in pkg-config cmake readelf; do
    command -v $tool >/dev/null || { echo "SKIP: $tool is absent"; exit 77; }
done
# The programs are built as the library was: the same compiler, and under
# the sanitizer builds (make check-asan, check-ubsan) with their runtimes.
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
CC=$(cache CMAKE_C_COMPILER)
case $(cache CMAKE_BUILD_TYPE) in
Asan) san="-fsanitize=address,undefined" ;;
Ubsan) san="-fsanitize=undefined" ;;
*) san="" ;;
esac
cmake --install "$build" --prefix "$t/prefix" >/dev/null && ok || bad "cmake --install"
p=$t/prefix
[ -x "$p/bin/medseg" ] && ok || bad "no bin/medseg"
[ -f "$p/share/man/man1/medseg-convert.1" ] && ok || bad "no man pages"
readelf -d "$p"/lib*/libmedseg.so.0 2>/dev/null | grep -q 'SONAME.*libmedseg.so.0' && ok || bad "soname"

cat > "$t/prog.c" <<'C'
#include <stdio.h>
#include <medseg/io.h>
int main(int argc, char **argv)
{
    (void)argc;
    ms_volume v, back;
    int64_t dim[3] = {4, 3, 2};
    if (ms_volume_alloc(&v, dim, MS_I16, "prog")) return 1;
    for (int i = 0; i < 24; i++) ((int16_t *)v.data)[i] = (int16_t)(i * 7 - 50);
    ms_nifti_write_opts o = {0, 0};
    if (ms_nifti_write(argv[1], &v, &o) || ms_read_volume(argv[1], NULL, &back, NULL)) return 2;
    long sum = 0;
    for (int i = 0; i < 24; i++) sum += ((int16_t *)back.data)[i];
    printf("%lld %lld %lld %ld\n", (long long)back.dim[0], (long long)back.dim[1], (long long)back.dim[2], sum);
    ms_volume_free(&v), ms_volume_free(&back);
    return 0;
}
C
want="4 3 2 732"   # sum of 7i - 50 for i < 24
pc=$(find "$p" -name medseg.pc | head -1)
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs medseg) && ok || bad "pkg-config medseg"
# shellcheck disable=SC2086
"$CC" $san -Wall -Wextra -Werror -o "$t/prog" "$t/prog.c" $flags && ok || bad "build against the installed headers"
libdir=$(dirname "$(find "$p" -name 'libmedseg.so.0' | head -1)")
got=$(LD_LIBRARY_PATH=$libdir "$t/prog" "$t/v.nii.gz") && ok || bad "run the pkg-config program"
[ "$got" = "$want" ] && ok || bad "pkg-config program printed '$got', want '$want'"

mkdir -p "$t/cm"
cat > "$t/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.20)
project(prog C)
find_package(medseg CONFIG REQUIRED)
add_executable(prog ../prog.c)
target_link_libraries(prog medseg::medseg)
CM
cmake -S "$t/cm" -B "$t/cm/b" -DCMAKE_PREFIX_PATH="$p" -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$san" \
    -DCMAKE_EXE_LINKER_FLAGS="$san" >/dev/null && cmake --build "$t/cm/b" >/dev/null && ok \
    || bad "build through find_package(medseg)"
got=$("$t/cm/b/prog" "$t/w.nii.gz") && ok || bad "run the CMake program"
[ "$got" = "$want" ] && ok || bad "CMake program printed '$got', want '$want'"

# The installed command uses the installed library, not the build tree's.
ldd "$p/bin/medseg" | grep -q "$p/.*libmedseg.so.0" && ok || bad "installed medseg does not load its own libmedseg"
"$p/bin/medseg" --version | grep -q '^medseg [0-9]' && ok || bad "installed medseg --version"
"$p/bin/medseg" info --json "$t/v.nii.gz" | grep -q '"dims"' && ok || bad "installed medseg info"
# Its plugins sit beside the installed library and are the ones it opens.
for plug in medseg_codecs medseg_sr; do
    [ -f "$libdir/lib$plug.so" ] && ok || bad "no installed plugin lib$plug.so"
done
jpeg=$(/usr/bin/python3 -c 'import os, pydicom; print(os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files", "JPEG-lossy.dcm"))' 2>/dev/null)
if [ -f "$jpeg" ]; then
    "$p/bin/medseg" convert -q "$jpeg" "$t/jpeg.nii" && ok || bad "installed medseg decodes JPEG through its codec plugin"
    LD_DEBUG=libs "$p/bin/medseg" convert -q "$jpeg" "$t/jpeg2.nii" 2>&1 | grep -q "calling init: $p/.*libmedseg_codecs.so" \
        && ok || bad "installed medseg opened another codec plugin than its own"
else
    echo "note: pydicom's JPEG-lossy.dcm is absent; the codec plugin is checked for presence only"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
