# (fragment; see Makefile.am)
# disco-extended: XEP-0128 extended information in disco#info (the room's
# muc#roominfo form, the service's XEP-0157 addresses and site forms). Its
# SDK header lets other plugins add roominfo fields.
pkginclude_HEADERS += include/palaver/disco_extended.h
pkglib_LTLIBRARIES += plugins/disco-extended/disco-extended.la
plugins_disco_extended_disco_extended_la_SOURCES = \
	plugins/disco-extended/disco_ext.h plugins/disco-extended/plugin.c \
	plugins/disco-extended/settings.c plugins/disco-extended/serverinfo.c \
	plugins/disco-extended/roominfo.c
plugins_disco_extended_disco_extended_la_LDFLAGS = $(PV_PLUGIN_MODFLAGS)
EXTRA_DIST += plugins/disco-extended/README
