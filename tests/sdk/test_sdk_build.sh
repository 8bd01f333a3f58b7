#!/bin/sh
# tests/sdk/test_sdk_build.sh: the plugin SDK works out of tree.
#
# Builds tests/sdk/hello.c the way a site author would (plain cc, the SDK
# headers only, no automake, no libtool), then has Palaver's module loader
# load it and answer an IQ, and has `palaver --check-config` load it too.
# Prints TAP.

: "${PALAVER_SRCDIR:?run through make check}" "${PALAVER_BUILDDIR:?run through make check}"
CC=${CC_FOR_SDK_TEST:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pv-sdk.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; sed 's/^/# /' "$2" 2>/dev/null; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

echo "1..7"

# 1. The README's build line, with the headers straight from the source tree.
if $CC -shared -fPIC -Wall -Wextra -I"$PALAVER_SRCDIR/include" -o "$tmp/hello.so" \
        "$PALAVER_SRCDIR/tests/sdk/hello.c" >"$tmp/cc.out" 2>&1 && test ! -s "$tmp/cc.out"; then
    ok "hello.c builds warning-free with cc -shared -fPIC -I\$srcdir/include"
else
    not_ok "hello.c builds warning-free with cc -shared -fPIC -I\$srcdir/include" "$tmp/cc.out"
fi

# 2. pkg-config finds the SDK in the build tree (palaver-uninstalled.pc).
if command -v pkg-config >/dev/null 2>&1; then
    if cflags=$(PKG_CONFIG_PATH="$PALAVER_BUILDDIR" pkg-config --cflags palaver 2>"$tmp/pc.out") &&
       mkdir "$tmp/pc" &&
       $CC -shared -fPIC $cflags -o "$tmp/pc/hello.so" "$PALAVER_SRCDIR/tests/sdk/hello.c" \
           >>"$tmp/pc.out" 2>&1; then
        ok "cc -shared -fPIC \$(pkg-config --cflags palaver) builds hello.so ($cflags)"
    else
        not_ok "cc -shared -fPIC \$(pkg-config --cflags palaver) builds hello.so" "$tmp/pc.out"
    fi
else
    skip "pkg-config --cflags palaver" "pkg-config not installed"
fi

# 3-4. The module loader loads it and the plugin answers through the router.
cat >"$tmp/hello.xml" <<XML
<palaver>
  <name>conference.example.org</name>
  <secret>s3cret</secret>
  <plugins>
    <hello><greeting>bonjour</greeting></hello>
  </plugins>
</palaver>
XML
loader="$PALAVER_BUILDDIR/tests/sdk/load_module"
if test -x "$loader"; then
    if "$loader" "$tmp/hello.xml" "$tmp" urn:example:hello >"$tmp/load.out" 2>&1 &&
       grep -q '^loaded: hello 1$' "$tmp/load.out"; then
        ok "the module loader loads the out-of-tree hello.so"
    else
        not_ok "the module loader loads the out-of-tree hello.so" "$tmp/load.out"
    fi
    if grep "^sent: " "$tmp/load.out" | grep "type=.result." | grep "id=.q1." |
       grep "urn:example:hello" | grep -q ">bonjour<"; then
        ok "hello answers its IQ get with its configured greeting"
    else
        not_ok "hello answers its IQ get with its configured greeting" "$tmp/load.out"
    fi
else
    skip "the module loader loads the out-of-tree hello.so" "load_module not built (no cmocka)"
    skip "hello answers its IQ get" "load_module not built (no cmocka)"
fi

# 5. palaver --check-config loads it next to the build tree's modules.
cat >"$tmp/check.xml" <<XML
<palaver>
  <name>conference.example.org</name>
  <secret>s3cret</secret>
  <backend><type>memory</type></backend>
  <plugins><hello/></plugins>
</palaver>
XML
bin=${PALAVER_BIN:-$PALAVER_BUILDDIR/palaver}
if "$bin" --check-config -v -c "$tmp/check.xml" --moduledir "$tmp:${PALAVER_MODULE_DIR:-}" \
        >"$tmp/check.out" 2>&1 && grep -q "configuration OK" "$tmp/check.out" &&
   grep -q "plugin 'hello' 1.0 ($tmp/hello.so): init" "$tmp/check.out"; then
    ok "palaver --check-config loads the out-of-tree hello.so"
else
    not_ok "palaver --check-config loads the out-of-tree hello.so" "$tmp/check.out"
fi

# 6. A module file whose name does not match its descriptor is refused, naming
#    the plugin, the file and the symbol looked for.
mkdir "$tmp/renamed" && cp "$tmp/hello.so" "$tmp/renamed/hi-there.so"
cat >"$tmp/renamed.xml" <<XML
<palaver>
  <name>conference.example.org</name>
  <secret>s3cret</secret>
  <backend><type>memory</type></backend>
  <plugins><hi-there/></plugins>
</palaver>
XML
if "$bin" --check-config -c "$tmp/renamed.xml" --moduledir "$tmp/renamed:${PALAVER_MODULE_DIR:-}" \
        >"$tmp/renamed.out" 2>&1; then
    not_ok "a renamed module is refused (palaver accepted it)" "$tmp/renamed.out"
elif grep -q "plugin 'hi-there' ($tmp/renamed/hi-there.so): missing descriptor.*hi_there_LTX_pv_plugin" \
        "$tmp/renamed.out"; then
    ok "a renamed module is refused, naming the plugin, the file and the symbol"
else
    not_ok "a renamed module is refused, naming the plugin, the file and the symbol" "$tmp/renamed.out"
fi

# 7. A plugin that is not there at all: the message names it and the search path.
cat >"$tmp/absent.xml" <<XML
<palaver>
  <name>conference.example.org</name>
  <secret>s3cret</secret>
  <backend><type>memory</type></backend>
  <plugins><no-such-plugin/></plugins>
</palaver>
XML
if "$bin" --check-config -c "$tmp/absent.xml" --moduledir "$tmp:${PALAVER_MODULE_DIR:-}" \
        >"$tmp/absent.out" 2>&1; then
    not_ok "a missing plugin stops start-up (palaver accepted it)" "$tmp/absent.out"
elif grep -q "plugin 'no-such-plugin': cannot open module no-such-plugin.la or no-such-plugin.so in $tmp:" \
        "$tmp/absent.out"; then
    ok "a missing plugin stops start-up, naming it and the module path"
else
    not_ok "a missing plugin stops start-up, naming it and the module path" "$tmp/absent.out"
fi

exit $failed
