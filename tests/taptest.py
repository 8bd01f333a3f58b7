"""tests/taptest.py: runs a Python test script's test_* functions and prints TAP.

    from taptest import run
    ...
    run(globals())

Every function named test_* runs in definition order; an exception makes it
"not ok" with the traceback as TAP diagnostics. A function may call skip(why)
to report "ok N - name # SKIP why". TAP_ONLY=substring runs only the tests
whose name contains it. The script always exits 0: the TAP driver judges.
"""

import inspect
import os
import sys
import time
import traceback


class Skip(Exception):
    """Raised by skip() to mark the current test skipped."""


def skip(reason):
    raise Skip(reason)


def skip_all(reason):
    """Prints a TAP plan that skips the whole script, and exits."""
    print('1..0 # SKIP %s' % reason, flush=True)
    sys.exit(0)


def diag(text):
    """A TAP diagnostic line (or lines)."""
    for line in str(text).splitlines() or ['']:
        print('# ' + line, flush=True)


def _tests(namespace):
    funcs = [v for k, v in namespace.items()
             if k.startswith('test_') and inspect.isfunction(v)]
    funcs.sort(key=lambda f: f.__code__.co_firstlineno)
    only = os.environ.get('TAP_ONLY')
    if only:
        funcs = [f for f in funcs if only in f.__name__]
    return funcs


def run(namespace):
    funcs = _tests(namespace)
    print('1..%d' % len(funcs), flush=True)
    for n, func in enumerate(funcs, 1):
        started = time.monotonic()
        try:
            func()
        except Skip as e:
            print('ok %d - %s # SKIP %s' % (n, func.__name__, e), flush=True)
            continue
        except BaseException as e:   # noqa: BLE001 - every failure is reported
            if isinstance(e, KeyboardInterrupt):
                raise
            print('not ok %d - %s' % (n, func.__name__), flush=True)
            diag(traceback.format_exc())
            continue
        print('ok %d - %s' % (n, func.__name__), flush=True)
        if os.environ.get('TAP_TIMES'):
            diag('%s took %.2fs' % (func.__name__, time.monotonic() - started))
    sys.stdout.flush()
    sys.exit(0)
