# (fragment; see Makefile.am)
# Manual pages: the daemon, its configuration file and the migration tool.
# Written by hand as man/*.in; the installation paths and the version are
# filled in at build time so that the pages name the files of this
# installation. tests/install/test_manpage.py keeps palaver.xml.5 in step
# with the elements the config readers accept.
man_MANS = man/palaver.8 man/palaver.xml.5 man/palaver-migrate.8
MAN_INPUTS = man/palaver.8.in man/palaver.xml.5.in man/palaver-migrate.8.in
EXTRA_DIST += $(MAN_INPUTS)
CLEANFILES += $(man_MANS)

$(man_MANS): Makefile
man/palaver.8: $(srcdir)/man/palaver.8.in
man/palaver.xml.5: $(srcdir)/man/palaver.xml.5.in
man/palaver-migrate.8: $(srcdir)/man/palaver-migrate.8.in
$(man_MANS):
	$(AM_V_GEN)$(MKDIR_P) man && sed \
		-e 's|@sysconfdir[@]|$(sysconfdir)|g' -e 's|@pkglibdir[@]|$(pkglibdir)|g' \
		-e 's|@includedir[@]|$(includedir)|g' -e 's|@libdir[@]|$(libdir)|g' \
		-e 's|@bindir[@]|$(bindir)|g' -e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g' \
		-e 's|@localstatedir[@]|$(localstatedir)|g' \
		-e '/^@PLUGIN_OPTIONS@$$/{r $(srcdir)/man/plugin-options.roff' -e 'd' -e '}' \
		$(srcdir)/$@.in > $@.tmp && mv $@.tmp $@

# palaver.xml(5)'s summary of the plugins' elements is what the plugins
# declare (their config_keys tables, printed by palaver --list-options=roff).
# It is kept in the tree, so the page builds without running palaver;
# tests/install/test_manpage.py fails when it differs from the declarations,
# and `make man-options` writes it again.
EXTRA_DIST += man/plugin-options.roff
man/palaver.xml.5: $(srcdir)/man/plugin-options.roff
man-options: palaver$(EXEEXT)
	$(AM_V_GEN)printf '<palaver><plugins><muc-core/><history/><disco-extended/><game-rooms/></plugins></palaver>\n' > man-options.xml && \
	./palaver$(EXEEXT) --list-options=roff -c man-options.xml --moduledir '$(PV_BUILD_MODDIRS)' \
		> $(srcdir)/man/plugin-options.roff; rc=$$?; rm -f man-options.xml; exit $$rc
.PHONY: man-options

# Service files for the system's init (not installed: see conf/README).
EXTRA_DIST += conf/palaver.service conf/README
