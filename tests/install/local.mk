# (fragment; see Makefile.am)
# Installation: an out-of-tree configure + make install into a temporary
# prefix, run as installed (test_install.sh), and the config man page kept
# in step with the config parser (test_manpage.py), and what tools/run-local
# sets up (test_run_local.py).
INSTALL_TESTS = tests/install/test_install.sh tests/install/test_manpage.py \
	tests/install/test_run_local.py
TESTS += $(INSTALL_TESTS)
EXTRA_DIST += $(INSTALL_TESTS)

# The full-suite scripts the README points to, so that a release tarball can
# be tested the same way as a checkout.
EXTRA_DIST += tools/test-all tools/setup-debian

# The TAP driver every test runs under (LOG_DRIVER in Makefile.am); automake
# does not distribute it on its own.
EXTRA_DIST += build-aux/tap-driver.sh

# configure cannot delete its confdefs.h in a build directory that has a
# core/ subdirectory: autoconf's exit trap runs `rm -f core ... && rm -f -r
# confdefs* ...`, and the first rm fails on the directory. distclean removes
# it so that the build directory is really clean (make distcheck checks).
DISTCLEANFILES = confdefs.h
