#!/bin/sh
# tests/sdk/test_headers.sh: every public SDK header stands on its own.
#
# A site plugin may include any one header of include/palaver/ first, in C
# or in C++. For each header this compiles a translation unit that includes
# only that header (twice, to exercise the include guard) as C99 and C11
# with -Wall -Wextra -pedantic, and as C++; any diagnostic fails the line.
# A last line per header checks that one declaring functions gives them C
# linkage for C++ callers (an extern "C" block). Prints TAP.

: "${PALAVER_SRCDIR:?run through make check}"
CC=${CC_FOR_SDK_TEST:-cc}
CXX=${CXX_FOR_SDK_TEST:-c++}
inc="$PALAVER_SRCDIR/include"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pv-hdr.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

headers=$(cd "$inc/palaver" && ls *.h 2>/dev/null)
if test -z "$headers"; then
    echo "1..1"
    echo "not ok 1 - no header found in $inc/palaver"
    exit 0
fi
count=$(echo "$headers" | wc -l)
echo "1..$((count * 4))"

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$2" 2>/dev/null; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

# check NAME OUTFILE COMMAND...: ok when the command succeeds silently.
check() {
    name=$1 out=$2
    shift 2
    if "$@" >"$out" 2>&1 && test ! -s "$out"; then
        ok "$name"
    else
        not_ok "$name" "$out"
    fi
}

have_cxx=yes
command -v "$CXX" >/dev/null 2>&1 || have_cxx=no

for h in $headers; do
    base=${h%.h}
    src="$tmp/$base.c"
    printf '#include <palaver/%s>\n#include <palaver/%s>\nint pv_header_test_%s;\n' \
        "$h" "$h" "$base" >"$src"
    check "palaver/$h compiles alone as C99 (-Wall -Wextra -pedantic)" "$tmp/$base.c99.out" \
        "$CC" -std=c99 -Wall -Wextra -pedantic -fsyntax-only -I"$inc" "$src"
    check "palaver/$h compiles alone as C11 (-Wall -Wextra -pedantic)" "$tmp/$base.c11.out" \
        "$CC" -std=c11 -Wall -Wextra -pedantic -fsyntax-only -I"$inc" "$src"
    if test "$have_cxx" = yes; then
        check "palaver/$h compiles alone as C++" "$tmp/$base.cxx.out" \
            "$CXX" -fsyntax-only -Wall -Wextra -x c++ -I"$inc" "$src"
    else
        skip "palaver/$h compiles alone as C++" "$CXX not installed"
    fi
    # A function prototype: an identifier followed by '(' on a line that
    # does not start a macro or a comment.
    if grep -Eq '^[A-Za-z_][A-Za-z0-9_ \*]*[ \*]pv_[a-z0-9_]+ *\(' "$inc/palaver/$h"; then
        if grep -q 'extern "C"' "$inc/palaver/$h"; then
            ok "palaver/$h gives its functions C linkage in C++"
        else
            echo "palaver/$h declares functions outside an extern \"C\" block" >"$tmp/$base.ext"
            not_ok "palaver/$h gives its functions C linkage in C++" "$tmp/$base.ext"
        fi
    else
        ok "palaver/$h declares no function (only includes or types)"
    fi
done
exit 0
