"""tests/install/test_manpage.py: palaver.xml(5) cannot drift from the parser.

Extracts every element name the config readers accept from their own tables
(core/config.c: the top-level table and the known[] lists of <limits> and
<sadmin>, the Palaver 0.6 hook names and the default plugin set; each
plugin's and backend's known[] list) and checks that man/palaver.xml.5.in names
each one as an element (<name>). Also checks that the three man pages format
without groff warnings and that palaver(8) lists every long option of
core/main.c, palaver-migrate(8) every option of tools/migrate/main.c.
"""

import difflib
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ.get('PALAVER_SRCDIR', '.'), 'tests'))
from taptest import run, skip  # noqa: E402

SRC = os.environ.get('PALAVER_SRCDIR', '.')


def read(rel):
    with open(os.path.join(SRC, rel), encoding='utf-8') as f:
        return f.read()


def strings_of(block):
    return re.findall(r'"([^"]*)"', block)


def array(text, name, where):
    """The quoted strings of every `NAME[] = {...};` in text (at least one)."""
    blocks = re.findall(r'\b' + re.escape(name) + r'\[\]\s*=\s*\{(.*?)\};', text, re.S)
    assert blocks, 'no %s[] table in %s' % (name, where)
    out = []
    for b in blocks:
        out += strings_of(b)
    return out


def page_text(rel):
    """The page's source with roff escapes for '-' undone."""
    return read(rel).replace('\\-', '-').replace('\\(hy', '-')


def missing_elements(names, page):
    return sorted({n for n in names if '<%s>' % n not in page and '<%s/>' % n not in page})


CONFIG_C = read('core/config.c')


def test_top_level_table_is_documented():
    m = re.search(r'\btop_level\[\]\s*=\s*\{(.*?)\};', CONFIG_C, re.S)
    assert m, 'core/config.c has no top_level[] table'
    names = re.findall(r'\{\s*"([^"]+)"\s*,\s*read_\w+\s*\}', m.group(1))
    assert len(names) >= 10, 'only %d top-level elements found: %r' % (len(names), names)
    missing = missing_elements(names + ['palaver', 'muc'], page_text('man/palaver.xml.5.in'))
    assert not missing, 'palaver.xml.5 lacks top-level elements: %s' % missing


def test_nested_core_tables_are_documented():
    names = array(CONFIG_C, 'known', 'core/config.c')
    assert {'stanza-size', 'output-buffer', 'user'} <= set(names), names
    names += array(CONFIG_C, 'python_hooks', 'core/config.c')
    names += array(CONFIG_C, 'default_plugins', 'core/config.c')
    missing = missing_elements(names, page_text('man/palaver.xml.5.in'))
    assert not missing, 'palaver.xml.5 lacks elements: %s' % missing


PLUGINS = ('muc-core', 'history', 'disco-extended', 'game-rooms')


def list_options(roff):
    """What `palaver --list-options` prints for the standard plugins: their
    declared elements (palaver/plugin.h's config_keys), from the built
    modules."""
    binary = os.environ.get('PALAVER_BIN')
    moddir = os.environ.get('PALAVER_MODULE_DIR')
    if not binary or not moddir:
        skip('run through make check (PALAVER_BIN, PALAVER_MODULE_DIR)')
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, 'palaver.xml')
        with open(cfg, 'w') as f:
            f.write('<palaver><plugins>%s</plugins></palaver>\n' %
                    ''.join('<%s/>' % p for p in PLUGINS))
        p = subprocess.run([binary, '--list-options' + ('=roff' if roff else ''), '-c', cfg,
                            '--moduledir', moddir], capture_output=True, text=True)
    assert p.returncode == 0, 'palaver --list-options failed:\n' + p.stderr
    return p.stdout


def test_plugin_options_are_documented():
    """Every element a plugin declares has its paragraph in the page (not
    only a line in the summary), and every plugin declares a table."""
    text = list_options(False)
    assert 'no declared elements' not in text, text
    names = re.findall(r'^[a-z-]+\t<([a-z-]+)>\t', text, re.M)
    assert len(names) >= 30, 'only %d declared elements: %r' % (len(names), names)
    page = page_text('man/palaver.xml.5.in').replace('@PLUGIN_OPTIONS@', '')
    missing = missing_elements(names, page)
    assert not missing, 'palaver.xml.5 lacks plugin options: %s' % missing


def test_option_summary_is_what_the_plugins_declare():
    """man/plugin-options.roff, palaver.xml(5)'s summary, is exactly what
    `palaver --list-options=roff` prints: written by `make man-options`."""
    with open(os.path.join(SRC, 'man/plugin-options.roff'), encoding='utf-8') as f:
        kept = f.read()
    made = list_options(True)
    assert kept == made, ('man/plugin-options.roff differs from the plugins\' declarations; '
                          'run `make man-options`:\n' + '\n'.join(
                              difflib.unified_diff(kept.split('\n'), made.split('\n'),
                                                   'kept', 'declared', lineterm='')))
    assert '@PLUGIN_OPTIONS@' in read('man/palaver.xml.5.in')
    build = os.environ.get('PALAVER_BUILDDIR', '')
    built = os.path.join(build, 'man/palaver.xml.5')
    if build and os.path.exists(built):
        with open(built, encoding='utf-8') as f:
            page = f.read()
        assert made in page and '@PLUGIN_OPTIONS@' not in page


def test_backend_options_are_documented():
    page = page_text('man/palaver.xml.5.in')
    names = []
    for b in ('memory', 'spool', 'sqlite', 'pgsql'):
        rel = 'backends/%s/backend.c' % b
        names += array(read(rel), 'known', rel)
        assert re.search(r'^\.B %s$|\\fB%s\\fR' % (b, b), page, re.M), \
            'backend %s is not named in palaver.xml.5' % b
    missing = missing_elements(names, page)
    assert not missing, 'palaver.xml.5 lacks backend options: %s' % missing


def long_options(rel):
    m = re.search(r'struct option\s+\w+\[\]\s*=\s*\{(.*?)\};', read(rel), re.S)
    assert m, 'no struct option table in ' + rel
    names = re.findall(r'\{\s*"([a-z-]+)"', m.group(1))
    assert names, 'no long options in ' + rel
    return names


def test_daemon_options_are_documented():
    page = page_text('man/palaver.8.in')
    missing = [o for o in long_options('core/main.c') if '--' + o not in page]
    assert not missing, 'palaver.8 lacks options: %s' % missing


def test_migrate_options_are_documented():
    page = page_text('man/palaver-migrate.8.in')
    missing = [o for o in long_options('tools/migrate/main.c') if '--' + o not in page]
    assert not missing, 'palaver-migrate.8 lacks options: %s' % missing


def test_pages_format_without_warnings():
    if not os.path.exists('/usr/bin/groff'):
        skip('groff not installed')
    build = os.environ.get('PALAVER_BUILDDIR', '')
    for rel in ('man/palaver.8', 'man/palaver.xml.5', 'man/palaver-migrate.8'):
        # The pages as built (paths filled in), else their sources.
        path = os.path.join(build, rel)
        if not build or not os.path.exists(path):
            path = os.path.join(SRC, rel + '.in')
        p = subprocess.run(['groff', '-man', '-Tutf8', '-ww', '-z', path],
                           capture_output=True, text=True, env=dict(os.environ, LC_ALL='C.UTF-8'))
        with open(path, encoding='utf-8') as f:
            lines = f.read().split('\n')
        said = [w for w in p.stderr.strip().split('\n') if w and not _long_install_path(w, lines)]
        assert p.returncode == 0 and not said, '%s: groff says:\n%s' % (rel, '\n'.join(said))


def _long_install_path(warning, lines):
    """True for groff's "can't break line" on a line that is only a path
    filled in by configure: a long --prefix (distcheck's, for one) makes such
    a line wider than the page, which no wording of the page can prevent."""
    m = re.search(r':(\d+): warning .*can.t break line', warning)
    if not m or int(m.group(1)) > len(lines):
        return False
    return re.match(r'^\.I[RB]? +/\S{40,}', lines[int(m.group(1)) - 1]) is not None


run(globals())
