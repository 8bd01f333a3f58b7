#!/bin/sh
# tests/install/test_install.sh: an installed Palaver works on its own.
#
# Configures the source tree into a temporary prefix (out of tree, -O0, no
# sanitizers), runs `make install`, then checks what a site gets: the
# installed daemon loads the installed example config and every module
# without any environment variable (its data directory, which make install
# creates, follows --localstatedir, here a non-default one), the SDK headers and palaver.pc are there
# and build a plugin the installed daemon loads, the man pages are installed,
# one version is reported everywhere, and a second `make install` or
# `make uninstall` never touches an edited palaver.xml. Prints TAP.

: "${PALAVER_SRCDIR:?run through make check}"
CC=${CC_FOR_SDK_TEST:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pv-install.XXXXXX") || exit 1
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; test -n "$2" && tail -n 40 "$2" | sed 's/^/# /'; }
check() { # check DESCRIPTION LOGFILE COMMAND...
    d=$1 log=$2; shift 2
    if "$@" >>"$log" 2>&1; then ok "$d"; else not_ok "$d" "$log"; fi
}

echo "1..15"

prefix="$tmp/prefix"
build="$tmp/build"
mkdir "$build" || exit 1
# The nested make must not inherit the make check that runs this script.
unset MAKEFLAGS MFLAGS MAKELEVEL DESTDIR PALAVER_MODULE_DIR PALAVER_BIN

# 1. configure + make install into the temporary prefix.
# Niced, two jobs: other tests run alongside under make -j and some are timed.
if (cd "$build" && nice -n 15 "$PALAVER_SRCDIR/configure" -q --prefix="$prefix" \
        --localstatedir="$prefix/state" CFLAGS="-O0 -g" &&
    nice -n 15 make -j2 install) >"$tmp/build.log" 2>&1; then
    ok "configure --prefix=TMP && make install (out of tree)"
else
    not_ok "configure --prefix=TMP && make install (out of tree)" "$tmp/build.log"
    # Nothing below can run.
    while test $n -lt 15; do n=$((n + 1)); echo "not ok $n - # nothing installed"; done
    exit 1
fi

bin="$prefix/bin/palaver"
conf="$prefix/etc/palaver/palaver.xml"

# 2. The example config is installed, identical to the build's conf/palaver.xml.
check "the example config is installed as \$sysconfdir/palaver/palaver.xml" "$tmp/conf.log" \
    cmp "$build/conf/palaver.xml" "$conf"

# 3. Exactly as installed (its own data directory under \$localstatedir, no
# option, no environment), the example config passes --check-config.
datadir="$prefix/state/lib/palaver"
env -i PATH="$PATH" HOME="$tmp" "$bin" --check-config -c "$conf" >"$tmp/check-asis.log" 2>&1
rc=$?
if test $rc -eq 0 && grep -q "configuration OK" "$tmp/check-asis.log" &&
   grep -q "<spool>$datadir</spool>" "$conf" && test -f "$datadir/palaver.db"; then
    ok "palaver -c \$sysconfdir/palaver/palaver.xml --check-config passes as installed (data in \$localstatedir/lib/palaver)"
else
    not_ok "palaver --check-config on the installed example as is (exit $rc)" "$tmp/check-asis.log"
fi
rm -f "$datadir/palaver.db"

# 4-5. The installed daemon, the installed config, no environment: every module loads.
spool="$tmp/spool"
mkdir "$spool"
env -i PATH="$PATH" HOME="$tmp" "$bin" --check-config -v -c "$conf" --spool "$spool" \
    >"$tmp/check.log" 2>&1
rc=$?
if test $rc -eq 0 && grep -q "configuration OK" "$tmp/check.log"; then
    ok "installed palaver --check-config -c \$sysconfdir/palaver/palaver.xml succeeds (no env)"
else
    not_ok "installed palaver --check-config succeeds (exit $rc)" "$tmp/check.log"
fi
missing=""
grep -q "backend 'sqlite' [0-9.]* ($prefix/lib/palaver/sqlite.so) open" "$tmp/check.log" ||
    missing="$missing sqlite"
for p in muc-core room-avatars room-notices room-tombstones voice-requests admin-commands registration-approval history disco-extended game-rooms; do
    grep -q "plugin '$p' [0-9.]* ($prefix/lib/palaver/$p.so): init" "$tmp/check.log" ||
        missing="$missing $p"
done
if test -z "$missing" && test -f "$spool/palaver.db"; then
    ok "every module of the example config is loaded from \$prefix/lib/palaver"
else
    not_ok "modules not loaded from $prefix/lib/palaver:$missing" "$tmp/check.log"
fi

# 6. Every backend is installed where the daemon looks (--backend, same config).
missing=""
for b in memory spool; do
    env -i PATH="$PATH" HOME="$tmp" "$bin" --check-config -v -c "$conf" --spool "$spool" \
        --backend $b >"$tmp/backend-$b.log" 2>&1 &&
    grep -q "backend '$b' [0-9.]* ($prefix/lib/palaver/$b.so) open" "$tmp/backend-$b.log" ||
        missing="$missing $b"
done
if test -z "$missing"; then
    ok "the memory and spool backends load from the installed module directory"
else
    not_ok "backends that do not load:$missing" "$tmp/backend-memory.log"
fi

# 7. The SDK headers: every include/palaver/*.h of the source tree.
missing=""
for h in "$PALAVER_SRCDIR"/include/palaver/*.h; do
    test -f "$prefix/include/palaver/${h##*/}" || missing="$missing ${h##*/}"
done
if test -z "$missing"; then
    ok "every SDK header is installed in \$includedir/palaver"
else
    not_ok "headers not installed:$missing"
fi

# 8-10. palaver.pc: a plugin built with pkg-config's flags only, loaded by the installed daemon.
if ! command -v pkg-config >/dev/null 2>&1; then
    for t in 8 9 10; do n=$((n + 1)); echo "ok $n - pkg-config # SKIP pkg-config not installed"; done
else
    pcdir="$prefix/lib/pkgconfig"
    if test -f "$pcdir/palaver.pc" && cflags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags palaver) &&
       test "$(echo $cflags)" = "-I$prefix/include"; then
        ok "palaver.pc is installed and gives -I\$includedir"
    else
        not_ok "palaver.pc is installed and gives -I\$includedir (got '$cflags')"
    fi
    moddir=$(PKG_CONFIG_PATH="$pcdir" pkg-config --variable=moduledir palaver)
    if test "$moddir" = "$prefix/lib/palaver" && test -f "$moddir/muc-core.so"; then
        ok "pkg-config --variable=moduledir palaver names the installed module directory"
    else
        not_ok "pkg-config --variable=moduledir gives '$moddir', not $prefix/lib/palaver"
    fi
    mkdir "$tmp/site"
    cat >"$tmp/site/tiny.c" <<'C'
/* A site plugin built against the installed SDK: answers nothing, loads. */
#include <palaver/plugin.h>
#include <palaver/log.h>

static int tiny_init(const pv_config_t *cfg, void **state)
{
    (void)cfg;
    *state = NULL;
    pv_log(PV_LOG_INFO, "tiny", "tiny plugin up");
    return 0;
}

PV_PLUGIN_DEFINE(tiny) = {
    .abi_major = PV_ABI_MAJOR,
    .abi_minor = PV_ABI_MINOR,
    .name = "tiny",
    .version = "1.0",
    .init = tiny_init,
};
C
    cat >"$tmp/site/tiny.xml" <<XML
<palaver>
  <name>conference.example.org</name>
  <secret>s3cret</secret>
  <backend><type>memory</type></backend>
  <plugins><muc-core/><tiny/></plugins>
</palaver>
XML
    if $CC -shared -fPIC -Wall -Wextra $(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags palaver) \
           -o "$tmp/site/tiny.so" "$tmp/site/tiny.c" >"$tmp/tiny.log" 2>&1 &&
       env -i PATH="$PATH" HOME="$tmp" "$bin" --check-config -c "$tmp/site/tiny.xml" \
           --moduledir "$tmp/site:$moddir" >>"$tmp/tiny.log" 2>&1 &&
       grep -q "tiny plugin up" "$tmp/tiny.log"; then
        ok "a plugin built with \$(pkg-config --cflags palaver) loads in the installed daemon"
    else
        not_ok "a plugin built with \$(pkg-config --cflags palaver) loads in the installed daemon" \
            "$tmp/tiny.log"
    fi
fi

# 11. One version: configure.ac's AC_INIT, palaver --version, palaver.pc.
want=$(sed -n 's/^AC_INIT(\[palaver\], \[\([^]]*\)\].*/\1/p' "$PALAVER_SRCDIR/configure.ac")
got=$("$bin" --version 2>&1)
pcver=$(sed -n 's/^Version: //p' "$prefix/lib/pkgconfig/palaver.pc")
if test -n "$want" && test "$got" = "palaver $want" && test "$pcver" = "$want"; then
    ok "palaver --version, palaver.pc and AC_INIT agree ($want)"
else
    not_ok "versions differ: AC_INIT '$want', --version '$got', palaver.pc '$pcver'"
fi

# 12. The man pages, and palaver-migrate.
missing=""
for m in man8/palaver.8 man5/palaver.xml.5 man8/palaver-migrate.8; do
    test -s "$prefix/share/man/$m" || missing="$missing $m"
done
test -x "$prefix/bin/palaver-migrate" || missing="$missing bin/palaver-migrate"
if test -z "$missing"; then
    ok "palaver(8), palaver.xml(5), palaver-migrate(8) and palaver-migrate are installed"
else
    not_ok "not installed:$missing"
fi

# 13. A second make install keeps an edited palaver.xml.
echo "<!-- edited by the site -->" >>"$conf"
cp "$conf" "$tmp/edited.xml"
if (cd "$build" && make install) >"$tmp/reinstall.log" 2>&1 && cmp "$tmp/edited.xml" "$conf" \
        >>"$tmp/reinstall.log" 2>&1; then
    ok "make install again keeps the edited \$sysconfdir/palaver/palaver.xml"
else
    not_ok "make install again keeps the edited \$sysconfdir/palaver/palaver.xml" "$tmp/reinstall.log"
fi

# 14. make uninstall removes the program files but keeps the edited config.
(cd "$build" && make uninstall) >"$tmp/uninstall.log" 2>&1
left=$(cd "$prefix" && find . -type f ! -path ./etc/palaver/palaver.xml | sort)
if test -z "$left" && cmp "$tmp/edited.xml" "$conf" >>"$tmp/uninstall.log" 2>&1 &&
   test ! -d "$datadir"; then
    ok "make uninstall removes every installed file (and the empty data directory) but the edited palaver.xml"
else
    echo "left: $left" >>"$tmp/uninstall.log"
    not_ok "make uninstall removes every installed file but the edited palaver.xml" "$tmp/uninstall.log"
fi

# 15. An unedited example config goes with make uninstall.
if (cd "$build" && rm -f "$conf" && make install-data-local && make uninstall) \
        >"$tmp/uninstall2.log" 2>&1 && test ! -e "$conf"; then
    ok "make uninstall removes the unedited example config"
else
    not_ok "make uninstall removes the unedited example config" "$tmp/uninstall2.log"
fi

exit $failed
