/*
 * tests/unit/test_config.c: the config file, the command line over it, and
 * the plugins' config getters (core/config.c, settings.c, sdk_config.c).
 *
 * Every error test checks the exact text a user gets: file, line, what is
 * wrong and what to write instead.
 */

/* Expected messages are built with snprintf into buffers sized for the
 * test's own short paths; gcc cannot know those bounds. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <palaver/palaver.h>

#include "settings.h"
#include "stderr_capture.h"
#include "suggest.h"

#define assert_contains(hay, needle)                                                   \
    do {                                                                               \
        if (!strstr((hay), (needle)))                                                  \
            fail_msg("expected '%s' in:\n%s", (needle), (hay));                        \
    } while (0)

static char tmpdir[] = "/tmp/pv-config-test.XXXXXX";

static int setup_dir(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Loads text as a config file; returns config_load's result, and what it
 * printed in *out (caller frees). */
static int load(pv_settings_t *s, const char *text, char **out, char **path)
{
    *path = write_file(tmpdir, "palaver.xml", text);
    capture_begin();
    int rc = config_load(s, *path, true);
    *out = capture_end();
    return rc;
}

/* "PATH:LINE: " for the current test file. */
static char *at(const char *path, unsigned line)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "%s:%u: ", path, line);
    return buf;
}

static void test_palaver06_file_is_accepted(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out, *path;
    int rc = load(&s,
                  "<muc>\n"
                  "  <name>chat.localhost</name>\n"
                  "  <ip>xmpp.example.org</ip>\n"
                  "  <port>5348</port>\n"
                  "  <secret> secret </secret>\n"
                  "  <backend>\n"
                  "    <type>dir</type>\n"
                  "    <dbuser>muc</dbuser><dbname>muc</dbname>\n"
                  "  </backend>\n"
                  "  <spool>/var/spool/palaver</spool>\n"
                  "  <conference xmlns='jabber:config:conference'>\n"
                  "    <sadmin>\n"
                  "      <user>Admin@Example.ORG</user>\n"
                  "      <user>boss@example.org/laptop</user>\n"
                  "    </sadmin>\n"
                  "  </conference>\n"
                  "</muc>\n",
                  &out, &path);
    assert_int_equal(rc, 0);
    assert_string_equal(s.jid, "chat.localhost");
    assert_string_equal(s.rhost, "xmpp.example.org");
    assert_int_equal(s.rport, 5348);
    assert_string_equal(s.secret, "secret");
    assert_string_equal(s.backend, "spool");
    assert_string_equal(s.spool, "/var/spool/palaver");
    assert_string_equal(s.config_path, path);
    assert_string_equal(s.sadmins[0], "admin@example.org");
    assert_string_equal(s.sadmins[1], "boss@example.org");
    assert_null(s.sadmins[2]);
    assert_true(s.plugins_default);
    assert_contains(out, at(path, 7));
    assert_contains(out, "backend type 'dir' (Palaver 0.6) is the 'spool' backend now");
    assert_contains(out, "service admin 'boss@example.org/laptop' has a resource");
    free(out);

    /* The backend gets its own element, <type> renamed, <spool> copied in. */
    capture_begin();
    const pv_el_t *b = settings_backend_config(&s);
    out = capture_end();
    char want[512];
    snprintf(want, sizeof want, "%s<dbuser> is a pgsql option; the spool backend does not use "
             "it (ignored)", at(path, 8));
    assert_contains(out, want);

    assert_non_null(b);
    assert_string_equal(pv_el_child_text(b, NULL, "type"), "spool");
    assert_string_equal(pv_el_child_text(b, NULL, "spool"), "/var/spool/palaver");
    assert_null(pv_el_child(b, NULL, "dbuser"));  /* pgsql's: spool would refuse it */
    assert_null(pv_el_child(b, NULL, "dbname"));
    assert_int_equal(pv_el_child(b, NULL, "spool")->line, 10);
    assert_ptr_equal(settings_backend_config(&s), b);

    /* The SDK's view: sadmins and lookup. */
    settings_set_current(&s);
    assert_true(pv_is_sadmin("admin@example.org"));
    assert_true(pv_is_sadmin("boss@example.org"));
    assert_false(pv_is_sadmin("someone@example.org"));
    assert_false(pv_is_sadmin(NULL));
    assert_string_equal(pv_config_sadmins()[0], "admin@example.org");
    assert_string_equal(pv_config_file(), path);
    assert_ptr_equal(pv_config_root(), s.root);
    settings_free(&s);
    assert_null(settings_current());
    assert_null(pv_config_sadmins()[0]);
    assert_string_equal(pv_config_file(), "(command line)");
    free(out);
    free(path);
}

static void test_palaver06_backend_names(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out, *path;
    int rc = load(&s, "<muc>\n<backend><type>psycopg</type><dbname>muc</dbname></backend>\n</muc>",
                  &out, &path);
    assert_int_equal(rc, 0);
    assert_string_equal(s.backend, "pgsql");
    char want[512];
    snprintf(want, sizeof want, "%sbackend type 'psycopg' (Palaver 0.6) is the 'pgsql' backend "
             "now; using pgsql", at(path, 2));
    assert_contains(out, want);
    const pv_el_t *b = settings_backend_config(&s);
    assert_string_equal(pv_el_child_text(b, NULL, "type"), "pgsql");
    assert_string_equal(pv_el_child_text(b, NULL, "dbname"), "muc");
    settings_free(&s);
    free(out);
    free(path);
}

static void test_own_elements_and_defaults(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out, *path;
    int rc = load(&s,
                  "<?xml version='1.0'?>\n"
                  "<!-- a comment -->\n"
                  "<palaver>\n"
                  "  <name>conference.example.org</name>\n"
                  "  <secret>x</secret>\n"
                  "  <log>/var/log/palaver.log</log>\n"
                  "  <loglevel>debug</loglevel>\n"
                  "  <moduledir>/opt/a:/opt/b</moduledir>\n"
                  "  <limits><stanza-size>64K</stanza-size><output-buffer>1M</output-buffer></limits>\n"
                  "  <keepalive>0</keepalive>\n"
                  "  <reconnect-max>300</reconnect-max>\n"
                  "  <plugins><history/><muc-core><create>anyone</create></muc-core></plugins>\n"
                  "</palaver>\n",
                  &out, &path);
    assert_int_equal(rc, 0);
    assert_string_equal(s.log_path, "/var/log/palaver.log");
    assert_int_equal(s.verbosity, 1);
    assert_string_equal(s.moddir, "/opt/a:/opt/b");
    assert_int_equal(s.max_stanza, 65536);
    assert_int_equal(s.max_outbuf, 1048576);
    assert_int_equal(s.keepalive, 0);
    assert_int_equal(s.reconnect_max, 300);
    assert_false(s.plugins_default);
    assert_string_equal(s.plugins[0], "history");
    assert_string_equal(s.plugins[1], "muc-core");
    assert_null(s.plugins[2]);
    /* Defaults for what the file does not say. */
    assert_string_equal(s.rhost, "localhost");
    assert_int_equal(s.rport, 5347);
    assert_string_equal(s.backend, "sqlite");
    assert_null(s.spool);
    /* Each plugin's own element. */
    const pv_el_t *mc = settings_plugin_config(&s, "muc-core");
    assert_non_null(mc);
    assert_int_equal(mc->line, 12);
    assert_string_equal(pv_config_str(mc, "create", NULL), "anyone");
    assert_null(settings_plugin_config(&s, "game-rooms"));
    /* No <backend>: one is synthesized for the default backend. */
    const pv_el_t *b = settings_backend_config(&s);
    assert_string_equal(pv_el_child_text(b, NULL, "type"), "sqlite");
    assert_null(pv_el_child(b, NULL, "spool"));
    settings_free(&s);
    free(out);
    free(path);
}

static void test_no_plugins_element_loads_the_standard_set(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out, *path;
    assert_int_equal(load(&s, "<palaver><name>a.example</name></palaver>", &out, &path), 0);
    assert_true(s.plugins_default);
    assert_string_equal(s.plugins[0], "muc-core");
    assert_string_equal(s.plugins[1], "history");
    assert_string_equal(s.plugins[2], "disco-extended");
    assert_string_equal(s.plugins[3], "game-rooms");
    assert_null(s.plugins[4]);
    settings_free(&s);
    free(out);
    free(path);
}

static void test_moduledir_defaults_to_the_environment(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out, *path;
    setenv("PALAVER_MODULE_DIR", "/from/env:/other", 1);
    assert_int_equal(load(&s, "<palaver/>", &out, &path), 0);
    assert_string_equal(s.moddir, "/from/env:/other");
    settings_free(&s);
    free(out);
    free(path);
    unsetenv("PALAVER_MODULE_DIR");
    assert_int_equal(load(&s, "<palaver/>", &out, &path), 0);
    assert_string_equal(s.moddir, PV_MODULE_DIR);
    settings_free(&s);
    free(out);
    free(path);
}

static void test_unreadable_and_missing_files(void **state)
{
    (void)state;
    pv_settings_t s;
    char missing[300];
    snprintf(missing, sizeof missing, "%s/nope.xml", tmpdir);
    capture_begin();
    int rc = config_load(&s, missing, true);
    char *out = capture_end();
    assert_int_equal(rc, -1);
    assert_contains(out, missing);
    assert_contains(out, ": cannot read the config file: No such file or directory; give a "
                         "readable file with -c FILE");
    settings_free(&s);
    free(out);

    /* Not required (no -c given): the command line alone is fine. */
    capture_begin();
    rc = config_load(&s, missing, false);
    out = capture_end();
    assert_int_equal(rc, 0);
    assert_null(s.root);
    assert_null(s.config_path);
    assert_string_equal(s.backend, "sqlite");
    settings_free(&s);
    free(out);

    /* A directory is not a file, required or not. */
    capture_begin();
    rc = config_load(&s, tmpdir, false);
    out = capture_end();
    assert_int_equal(rc, -1);
    assert_contains(out, tmpdir);
    assert_contains(out, "cannot read the config file");
    settings_free(&s);
    free(out);
}

static void test_malformed_xml_names_file_and_line(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out, *path;
    int rc = load(&s, "<palaver>\n  <name>a</name>\n  <port>5347</prot>\n</palaver>\n", &out,
                  &path);
    assert_int_equal(rc, -1);
    assert_contains(out, at(path, 3));
    assert_contains(out, "malformed XML");
    assert_contains(out, "fix the XML syntax");
    settings_free(&s);
    free(out);
    free(path);

    rc = load(&s, "<!DOCTYPE x [<!ENTITY e 'boom'>]>\n<palaver>&e;</palaver>\n", &out, &path);
    assert_int_equal(rc, -1);
    assert_contains(out, path);
    assert_contains(out, "malformed XML");
    settings_free(&s);
    free(out);
    free(path);
}

static void test_unknown_elements_suggest_a_name(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out, *path;
    int rc = load(&s,
                  "<muc>\n"
                  "  <name>a.example</name>\n"
                  "  <prot>5347</prot>\n"
                  "  <frobnicate/>\n"
                  "  <limits><stanza-sise>1</stanza-sise></limits>\n"
                  "  <conference><sadmin><usr>a@b</usr></sadmin></conference>\n"
                  "</muc>\n",
                  &out, &path);
    assert_int_equal(rc, -1);
    char want[512];
    snprintf(want, sizeof want, "%sunknown element <prot> in <muc>; did you mean <port>?",
             at(path, 3));
    assert_contains(out, want);
    snprintf(want, sizeof want, "%sunknown element <frobnicate> in <muc>; remove it (known "
             "elements: name, ip, port, secret, backend, spool, conference, sadmin, plugins, "
             "log, loglevel, moduledir, limits, keepalive, reconnect-max, statistics, metrics)",
             at(path, 4));
    assert_contains(out, want);
    snprintf(want, sizeof want, "%sunknown element <stanza-sise> in <limits>; did you mean "
             "<stanza-size>?", at(path, 5));
    assert_contains(out, want);
    snprintf(want, sizeof want, "%sunknown element <usr> in <sadmin>; did you mean <user>?",
             at(path, 6));
    assert_contains(out, want);
    settings_free(&s);
    free(out);
    free(path);
}

static void test_stray_text_is_an_error(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out, *path;
    int rc = load(&s, "<palaver>\n  <name>a.example</name> 5347\n"
                      "  <limits>oops<stanza-size>8K</stanza-size></limits>\n</palaver>\n",
                  &out, &path);
    assert_int_equal(rc, -1);
    char want[300];
    snprintf(want, sizeof want, "%sstray text '5347' in <palaver>; put it inside an element or "
             "remove it", at(path, 2));
    assert_contains(out, want);
    snprintf(want, sizeof want, "%sstray text 'oops' in <limits>", at(path, 3));
    assert_contains(out, want);
    settings_free(&s);
    free(out);
    free(path);
}

static void test_wrong_root_element(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out, *path;
    assert_int_equal(load(&s, "\n<config><name>a</name></config>", &out, &path), -1);
    char want[512];
    snprintf(want, sizeof want, "%sthe root element is <config>; write <palaver> ... </palaver> "
             "(or <muc>, as in Palaver 0.6)", at(path, 2));
    assert_contains(out, want);
    settings_free(&s);
    free(out);
    free(path);
}

static void test_bad_values_are_errors_not_defaults(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out, *path;
    int rc = load(&s,
                  "<palaver>\n"
                  "  <port>70000</port>\n"
                  "  <keepalive>-5</keepalive>\n"
                  "  <limits>\n"
                  "    <stanza-size>-1</stanza-size>\n"
                  "    <output-buffer>lots</output-buffer>\n"
                  "  </limits>\n"
                  "  <loglevel>loud</loglevel>\n"
                  "  <reconnect-max>0</reconnect-max>\n"
                  "  <name></name>\n"
                  "  <secret><b>x</b></secret>\n"
                  "</palaver>\n",
                  &out, &path);
    assert_int_equal(rc, -1);
    char want[512];
    snprintf(want, sizeof want, "%s<port> must be a port number between 1 and 65535, not "
             "'70000'; write e.g. <port>5347</port>", at(path, 2));
    assert_contains(out, want);
    snprintf(want, sizeof want, "%s<keepalive> must be a number of seconds (0 = off) between 0 "
             "and 86400, not '-5'", at(path, 3));
    assert_contains(out, want);
    snprintf(want, sizeof want, "%s<stanza-size> must be a size in bytes between 4096 and "
             "67108864, not '-1'; write e.g. <stanza-size>262144</stanza-size>", at(path, 5));
    assert_contains(out, want);
    snprintf(want, sizeof want, "%s<output-buffer> must be a size in bytes", at(path, 6));
    assert_contains(out, want);
    snprintf(want, sizeof want, "%s<loglevel> must be 0 (info), 1 (debug) or 2 (traffic)",
             at(path, 8));
    assert_contains(out, want);
    snprintf(want, sizeof want, "%s<reconnect-max> must be a number of seconds between 1",
             at(path, 9));
    assert_contains(out, want);
    snprintf(want, sizeof want, "%s<name> is empty; write a value", at(path, 10));
    assert_contains(out, want);
    snprintf(want, sizeof want, "%s<secret> holds an element <b>; write plain text",
             at(path, 11));
    assert_contains(out, want);
    settings_free(&s);
    free(out);
    free(path);

    /* Port 0 and a non-number, a buffer smaller than a stanza. */
    rc = load(&s,
              "<palaver>\n<port>0</port>\n<limits><stanza-size>1M</stanza-size>"
              "<output-buffer>512K</output-buffer></limits>\n</palaver>",
              &out, &path);
    assert_int_equal(rc, -1);
    assert_contains(out, "<port> must be a port number between 1 and 65535, not '0'");
    snprintf(want, sizeof want, "%s<output-buffer> (524288) is smaller than <stanza-size> "
             "(1048576); make it at least as large", at(path, 3));
    assert_contains(out, want);
    settings_free(&s);
    free(out);
    free(path);
}

static void test_duplicates_and_backend_without_type(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out, *path;
    int rc = load(&s,
                  "<palaver>\n"
                  "  <port>1</port>\n"
                  "  <port>2</port>\n"
                  "  <backend><dbname>x</dbname></backend>\n"
                  "  <plugins><a/><b/><a/></plugins>\n"
                  "</palaver>\n",
                  &out, &path);
    assert_int_equal(rc, -1);
    char want[512];
    snprintf(want, sizeof want, "%s<port> is given twice (first at line 2); keep one",
             at(path, 3));
    assert_contains(out, want);
    snprintf(want, sizeof want, "%s<backend> has no <type>; write <type>sqlite</type>",
             at(path, 4));
    assert_contains(out, want);
    snprintf(want, sizeof want, "%splugin <a> is listed twice in <plugins>", at(path, 5));
    assert_contains(out, want);
    settings_free(&s);
    free(out);
    free(path);
}

static void test_python_hooks_are_ignored_with_a_warning(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out, *path;
    int rc = load(&s,
                  "<muc>\n"
                  "  <plugins>\n"
                  "    <create-room>mysite.hooks</create-room>\n"
                  "  </plugins>\n"
                  "</muc>\n",
                  &out, &path);
    assert_int_equal(rc, 0);
    char want[512];
    snprintf(want, sizeof want, "%s<create-room>mysite.hooks</create-room> is a Palaver 0.6 "
             "Python hook and cannot be loaded; ignored. Port it to a C plugin", at(path, 3));
    assert_contains(out, want);
    assert_contains(out, "lists no C plugin; loading the standard set");
    assert_string_equal(s.plugins[0], "muc-core");
    settings_free(&s);
    free(out);
    free(path);

    /* With C plugins beside them, only the C plugins are loaded. */
    rc = load(&s,
              "<muc><plugins><join-room>x.y</join-room><muc-core/><groupchat/></plugins></muc>",
              &out, &path);
    assert_int_equal(rc, 0);
    assert_contains(out, "<join-room>x.y</join-room> is a Palaver 0.6 Python hook");
    assert_string_equal(s.plugins[0], "muc-core");
    assert_string_equal(s.plugins[1], "groupchat");  /* empty: a C plugin of that name */
    assert_null(s.plugins[2]);
    settings_free(&s);
    free(out);
    free(path);
}

static void test_mu_conference_block(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out, *path;
    int rc = load(&s,
                  "<muc>\n"
                  "  <conference xmlns='jabber:config:conference'>\n"
                  "    <public/>\n"
                  "    <vCard><FN>Chat</FN></vCard>\n"
                  "    <sadmin>root@example.org</sadmin>\n"
                  "    <sadmin><user>ops@example.org</user></sadmin>\n"
                  "    <sadmin>not a jid@@</sadmin>\n"
                  "  </conference>\n"
                  "</muc>\n",
                  &out, &path);
    assert_int_equal(rc, -1);  /* the bad JID */
    char want[512];
    snprintf(want, sizeof want, "%s<conference><public> is a mu-conference setting Palaver "
             "does not use; ignored", at(path, 3));
    assert_contains(out, want);
    snprintf(want, sizeof want, "%s<conference><vCard> is a mu-conference setting",
             at(path, 4));
    assert_contains(out, want);
    snprintf(want, sizeof want, "%s'not a jid@@' is not a valid JID; write a bare JID",
             at(path, 7));
    assert_contains(out, want);
    assert_string_equal(s.sadmins[0], "root@example.org");
    assert_string_equal(s.sadmins[1], "ops@example.org");
    assert_null(s.sadmins[2]);
    settings_free(&s);
    free(out);
    free(path);
}

static pv_cli_t no_cli(void)
{
    pv_cli_t cli;
    memset(&cli, 0, sizeof cli);
    cli.rport = -1;
    cli.verbosity = -1;
    return cli;
}

static void test_command_line_wins_for_every_option(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out, *path;
    int rc = load(&s,
                  "<muc>\n"
                  "  <name>file.example</name><ip>filehost</ip><port>1111</port>\n"
                  "  <secret>filesecret</secret>\n"
                  "  <backend><type>pgsql</type><dbname>muc</dbname></backend>\n"
                  "  <spool>/file/spool</spool><log>/file/log</log><loglevel>2</loglevel>\n"
                  "  <moduledir>/file/mods</moduledir>\n"
                  "</muc>\n",
                  &out, &path);
    assert_int_equal(rc, 0);
    free(out);
    pv_cli_t cli = no_cli();
    cli.jid = "cli.example";
    cli.rhost = "clihost";
    cli.rport = 2222;
    cli.secret = "clisecret";
    cli.backend = "dir";
    cli.spool = "/cli/spool";
    cli.log_path = "/cli/log";
    cli.moddir = "/cli/mods";
    cli.verbosity = 1;
    capture_begin();
    assert_int_equal(settings_apply_cli(&s, &cli), 0);
    out = capture_end();
    assert_string_equal(s.jid, "cli.example");
    assert_string_equal(s.rhost, "clihost");
    assert_int_equal(s.rport, 2222);
    assert_string_equal(s.secret, "clisecret");
    assert_string_equal(s.backend, "spool");  /* "dir", like the file's, means spool */
    assert_string_equal(s.spool, "/cli/spool");
    assert_string_equal(s.log_path, "/cli/log");
    assert_string_equal(s.moddir, "/cli/mods");
    assert_int_equal(s.verbosity, 1);
    assert_contains(out, "--backend dir (Palaver 0.6) is the 'spool' backend now");
    assert_contains(out, "--backend spool overrides the config's <backend> (pgsql); its "
                         "options are not used");
    /* The backend does not get pgsql's options, but does get --spool. */
    const pv_el_t *b = settings_backend_config(&s);
    assert_string_equal(pv_el_child_text(b, NULL, "type"), "spool");
    assert_null(pv_el_child(b, NULL, "dbname"));
    assert_string_equal(pv_el_child_text(b, NULL, "spool"), "/cli/spool");
    assert_int_equal(settings_validate(&s), 0);
    settings_free(&s);
    free(out);
    free(path);

    /* Options not given leave the file's values alone; --spool replaces a
     * <spool> inside <backend>. */
    rc = load(&s,
              "<palaver><name>f.example</name><port>1111</port><loglevel>2</loglevel>"
              "<backend><type>good</type><spool>/in/backend</spool></backend></palaver>",
              &out, &path);
    assert_int_equal(rc, 0);
    free(out);
    cli = no_cli();
    assert_int_equal(settings_apply_cli(&s, &cli), 0);
    assert_int_equal(s.rport, 1111);
    assert_int_equal(s.verbosity, 2);
    assert_string_equal(s.jid, "f.example");
    b = settings_backend_config(&s);
    assert_string_equal(pv_el_child_text(b, NULL, "spool"), "/in/backend");
    settings_free(&s);
    free(path);
    rc = load(&s,
              "<palaver><backend><type>good</type><spool>/in/backend</spool></backend>"
              "</palaver>",
              &out, &path);
    free(out);
    cli.spool = "/cli";
    assert_int_equal(settings_apply_cli(&s, &cli), 0);
    b = settings_backend_config(&s);
    assert_string_equal(pv_el_child_text(b, NULL, "spool"), "/cli");
    assert_null(pv_el_next(pv_el_child(b, NULL, "spool"), NULL, "spool"));
    settings_free(&s);
    free(path);
}

static void test_validate_says_what_is_missing(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out, *path;
    assert_int_equal(load(&s, "<palaver/>", &out, &path), 0);
    free(out);
    capture_begin();
    assert_int_equal(settings_validate(&s), -1);
    out = capture_end();
    char want[512];
    snprintf(want, sizeof want, "no component domain; write "
             "<name>conference.example.org</name> in %s, or give --jid", path);
    assert_contains(out, want);
    assert_contains(out, "no component secret; write <secret>...</secret>");
    free(out);

    pv_cli_t cli = no_cli();
    cli.jid = "user@bad.example";
    cli.secret = "s";
    cli.rport = 0;
    cli.backend = "../evil";
    assert_int_equal(settings_apply_cli(&s, &cli), 0);
    capture_begin();
    assert_int_equal(settings_validate(&s), -1);
    out = capture_end();
    assert_contains(out, "the component domain 'user@bad.example' is not a plain domain");
    assert_contains(out, "the server port 0 is not between 1 and 65535; give e.g. --rport 5347");
    assert_contains(out, "the backend name '../evil' is not a module name");
    settings_free(&s);
    free(out);
    free(path);
}

/* ---- The plugins' getters (palaver/config.h) ---- */

static void test_sdk_getters(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out, *path;
    int rc = load(&s,
                  "<palaver>\n"
                  "  <plugins>\n"
                  "    <demo>\n"
                  "      <title>  Spaced out  </title>\n"
                  "      <count>12</count>\n"
                  "      <big>1000</big>\n"
                  "      <word>twelve</word>\n"
                  "      <on>Yes</on><off>0</off><odd>maybe</odd>\n"
                  "      <colour>red</colour>\n"
                  "    </demo>\n"
                  "  </plugins>\n"
                  "</palaver>\n",
                  &out, &path);
    assert_int_equal(rc, 0);
    free(out);
    settings_set_current(&s);
    const pv_config_t *c = settings_plugin_config(&s, "demo");
    assert_non_null(c);

    assert_string_equal(pv_config_str(c, "title", "x"), "Spaced out");
    assert_string_equal(pv_config_str(c, "absent", "dflt"), "dflt");
    assert_string_equal(pv_config_str(NULL, "title", "dflt"), "dflt");

    long v = -1;
    assert_int_equal(pv_config_int(c, "count", 5, 0, 100, "demo", &v), 0);
    assert_int_equal(v, 12);
    assert_int_equal(pv_config_int(c, "absent", 5, 0, 100, "demo", &v), 0);
    assert_int_equal(v, 5);
    assert_int_equal(pv_config_int(NULL, "count", 7, 0, 100, "demo", &v), 0);
    assert_int_equal(v, 7);
    capture_begin();
    assert_int_equal(pv_config_int(c, "big", 5, 0, 100, "demo", &v), -1);
    assert_int_equal(pv_config_int(c, "word", 5, 0, 100, "demo", &v), -1);
    out = capture_end();
    assert_int_equal(v, 7);  /* untouched on error */
    char want[512];
    snprintf(want, sizeof want, "%sdemo: big must be an integer between 0 and 100, not '1000'",
             at(path, 6));
    assert_contains(out, want);
    snprintf(want, sizeof want, "%sdemo: word must be an integer between 0 and 100, not "
             "'twelve'", at(path, 7));
    assert_contains(out, want);
    free(out);

    bool b = false;
    assert_int_equal(pv_config_bool(c, "on", false, "demo", &b), 0);
    assert_true(b);
    assert_int_equal(pv_config_bool(c, "off", true, "demo", &b), 0);
    assert_false(b);
    assert_int_equal(pv_config_bool(c, "absent", true, "demo", &b), 0);
    assert_true(b);
    capture_begin();
    assert_int_equal(pv_config_bool(c, "odd", false, "demo", &b), -1);
    out = capture_end();
    snprintf(want, sizeof want, "%sdemo: odd must be a boolean (true/false, yes/no, on/off, "
             "1/0), not 'maybe'", at(path, 8));
    assert_contains(out, want);
    free(out);

    static const char *const known[] = {"title", "count", "big", "word", "on",
                                        "off",   "odd",   "color", NULL};
    capture_begin();
    assert_int_equal(pv_config_check_known(c, known, "demo"), 1);
    out = capture_end();
    snprintf(want, sizeof want, "%sdemo: unknown element <colour> (known: title, count, big, "
             "word, on, off, odd, color); did you mean <color>?", at(path, 9));
    assert_contains(out, want);
    free(out);
    static const char *const all[] = {"title", "count", "big", "word", "on",
                                      "off",   "odd",   "colour", NULL};
    assert_int_equal(pv_config_check_known(c, all, "demo"), 0);
    assert_int_equal(pv_config_check_known(NULL, all, "demo"), 0);

    capture_begin();
    assert_int_equal(pv_config_error(c, "demo", "needs %d more", 3), -1);
    assert_int_equal(pv_config_error(NULL, "demo", "no element"), -1);
    out = capture_end();
    snprintf(want, sizeof want, "%sdemo: needs 3 more", at(path, 3));
    assert_contains(out, want);
    snprintf(want, sizeof want, "%s: demo: no element", path);
    assert_contains(out, want);
    free(out);
    settings_free(&s);
    free(path);
}

static void test_suggestions(void **state)
{
    (void)state;
    assert_int_equal(suggest_distance("port", "port", 2), 0);
    assert_int_equal(suggest_distance("prot", "port", 2), 2);
    assert_int_equal(suggest_distance("portt", "port", 2), 1);
    assert_int_equal(suggest_distance("", "abc", 2), 3);
    assert_int_equal(suggest_distance("kitten", "sitting", 5), 3);
    static const char *const known[] = {"name", "port", "secret", NULL};
    assert_string_equal(suggest_name("nmae", known), "name");
    assert_string_equal(suggest_name("secrte", known), "secret");
    assert_null(suggest_name("backend", known));
    char buf[16];
    suggest_list(known, buf, sizeof buf);
    assert_string_equal(buf, "name, port, ...");
}

/* The shipped example is itself a valid config: sqlite, the standard plugins. */
static void test_shipped_example_config_is_valid(void **state)
{
    (void)state;
    const char *build = getenv("PALAVER_BUILDDIR"); /* made from conf/palaver.xml.in */
    if (!build)
        skip();
    char path[1024];
    snprintf(path, sizeof path, "%s/conf/palaver.xml", build);
    pv_settings_t s;
    capture_begin();
    int rc = config_load(&s, path, true);
    char *out = capture_end();
    assert_int_equal(rc, 0);
    assert_null(strstr(out, "WARN"));
    assert_string_equal(s.backend, "sqlite");
    assert_false(s.plugins_default);
    const char *want[] = {"muc-core", "history", "disco-extended", "game-rooms", NULL};
    for (size_t i = 0; want[i]; i++)
        assert_string_equal(s.plugins[i], want[i]);
    assert_null(s.plugins[4]);
    assert_int_equal(settings_validate(&s), 0);
    settings_free(&s);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_palaver06_file_is_accepted),
        cmocka_unit_test(test_palaver06_backend_names),
        cmocka_unit_test(test_own_elements_and_defaults),
        cmocka_unit_test(test_no_plugins_element_loads_the_standard_set),
        cmocka_unit_test(test_moduledir_defaults_to_the_environment),
        cmocka_unit_test(test_unreadable_and_missing_files),
        cmocka_unit_test(test_malformed_xml_names_file_and_line),
        cmocka_unit_test(test_unknown_elements_suggest_a_name),
        cmocka_unit_test(test_stray_text_is_an_error),
        cmocka_unit_test(test_wrong_root_element),
        cmocka_unit_test(test_bad_values_are_errors_not_defaults),
        cmocka_unit_test(test_duplicates_and_backend_without_type),
        cmocka_unit_test(test_python_hooks_are_ignored_with_a_warning),
        cmocka_unit_test(test_mu_conference_block),
        cmocka_unit_test(test_command_line_wins_for_every_option),
        cmocka_unit_test(test_validate_says_what_is_missing),
        cmocka_unit_test(test_sdk_getters),
        cmocka_unit_test(test_suggestions),
        cmocka_unit_test(test_shipped_example_config_is_valid),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
