# (fragment; see Makefile.am)
# disco-extended's protocol tests through the fake router, and the word-filter
# example built out of tree like a site plugin.
DISCO_TESTS = tests/disco/test_roominfo.py tests/disco/test_serverinfo.py \
	tests/examples/test_word_filter.py
TESTS += $(DISCO_TESTS)
EXTRA_DIST += $(DISCO_TESTS) tests/disco/discoutil.py tests/disco/roominfo-contrib.c \
	examples/word-filter/word-filter.c examples/word-filter/README
