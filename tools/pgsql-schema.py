#!/usr/bin/python3
"""tools/pgsql-schema.py: prints the pgsql backend's schema as a .sql script.

The backend creates its schema itself at start-up (backends/pgsql/schema.c).
Operators who create databases by hand want that schema as a file; this
extracts it from the C string literals of schema.c, so there is one source.
backends/pgsql/palaver-pgsql.sql is its output, and a test checks it is
current: python3 tools/pgsql-schema.py backends/pgsql/schema.c > that file.
"""
import re
import sys

LIT = re.compile(r'"((?:[^"\\]|\\.)*)"')
SKIP = re.compile(r'(\s+|/\*.*?\*/|//[^\n]*)', re.S)


def literal(src, name):
    start = src.index('static const char %s[] =' % name) + len('static const char %s[] =' % name)
    out, i = [], start
    while True:
        m = SKIP.match(src, i)
        if m:
            i = m.end()
            continue
        if src[i] == ';':
            break
        m = LIT.match(src, i)
        if not m:
            raise SystemExit('pgsql-schema: unexpected text in %s at offset %d' % (name, i))
        out.append(m.group(1))
        i = m.end()
    text = ''.join(out)
    return re.sub(r'\\(.)', lambda e: {'n': '\n', 't': '\t', '"': '"', '\\': '\\'}[e.group(1)], text)


def main():
    src = open(sys.argv[1], encoding='utf-8').read()
    version = literal(src, 'version_sql').split(';')[0]
    schema = literal(src, 'schema_sql')
    sys.stdout.write('-- Palaver: the pgsql backend\'s schema, for creating a database by hand:\n'
                     '--   psql -v ON_ERROR_STOP=1 -d DBNAME -f palaver-pgsql.sql\n'
                     '-- palaver creates (and upgrades) the same schema itself at start-up.\n'
                     '-- Generated from backends/pgsql/schema.c by tools/pgsql-schema.py.\n\n')
    sys.stdout.write(version + ';\n')
    # One statement per line where the C source ends one with ";".
    sys.stdout.write(re.sub(r';(?=(CREATE|INSERT|DO|SELECT|UPDATE|ALTER|DROP) )', ';\n', schema)
                     .rstrip() + '\n')


if __name__ == '__main__':
    main()
