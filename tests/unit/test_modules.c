/*
 * tests/unit/test_modules.c: the module loader (core/modules.c) against the
 * test modules in tests/modules: one good plugin, one for each way a plugin
 * can be wrong, and a good and a bad backend.
 *
 * The modules append to $PV_TEST_TRACE what ran ("init good count=3"), so
 * order is checked on real calls; refusals are checked on the exact message
 * (plugin name, file, reason).
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

#include "log_internal.h"
#include "modules.h"
#include "router_internal.h"
#include "settings.h"
#include "stderr_capture.h"

#define assert_contains(hay, needle)                                                   \
    do {                                                                               \
        if (!strstr((hay), (needle)))                                                  \
            fail_msg("expected '%s' in:\n%s", (needle), (hay));                        \
    } while (0)

static char tmpdir[] = "/tmp/pv-modules-test.XXXXXX";
static char moddir[1024];
static char trace_path[1100];

static int setup_all(void **state)
{
    (void)state;
    const char *build = getenv("PALAVER_BUILDDIR");
    snprintf(moddir, sizeof moddir, "%s/tests/modules", build ? build : ".");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(trace_path, sizeof trace_path, "%s/trace", tmpdir);
    setenv("PV_TEST_TRACE", trace_path, 1);
    return 0;
}

static int teardown_all(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static int reset_trace(void **state)
{
    (void)state;
    unlink(trace_path);
    return 0;
}

/* The trace so far (caller frees); "" when nothing ran. */
static char *trace_text(void)
{
    FILE *f = fopen(trace_path, "r");
    char *buf = calloc(1, 4096);
    if (!buf)
        abort();
    if (f) {
        size_t n = fread(buf, 1, 4095, f);
        buf[n] = '\0';
        fclose(f);
    }
    return buf;
}

static char cfg_path[1100];

/* Loads a config body (inside <palaver>) and the modules' search path. */
static void load_config(pv_settings_t *s, const char *body)
{
    char text[4096];
    snprintf(text, sizeof text, "<palaver>\n%s</palaver>\n", body);
    char *path = write_file(tmpdir, "modules.xml", text);
    snprintf(cfg_path, sizeof cfg_path, "%s", path);
    free(path);
    capture_begin();
    int rc = config_load(s, cfg_path, true);
    free(capture_end());
    assert_int_equal(rc, 0);
    settings_set_current(s);
    assert_int_equal(modules_init(moddir), 0);
}

/* Tries to load the plugins; returns the result and the messages in *out. */
static int load_plugins(pv_settings_t *s, char **out)
{
    capture_begin();
    int rc = modules_load_plugins(s);
    *out = capture_end();
    return rc;
}

static char *so_path(const char *name)
{
    static char buf[1200];
    snprintf(buf, sizeof buf, "%s/.libs/%s.so", moddir, name);
    return buf;
}

static void finish(pv_settings_t *s, char *out)
{
    modules_shutdown();
    settings_free(s);
    free(out);
}

static void test_good_plugin_gets_its_config(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<plugins>\n<good><count>3</count></good>\n</plugins>\n");
    assert_int_equal(load_plugins(&s, &out), 0);
    assert_true(pv_plugin_loaded("good"));
    assert_false(pv_plugin_loaded("dep-user"));
    assert_false(pv_plugin_loaded(NULL));
    modules_connected();
    modules_shutdown();
    assert_false(pv_plugin_loaded("good"));
    char *t = trace_text();
    assert_string_equal(t, "init good count=3\nconnected good state=42\nshutdown good state=42\n");
    free(t);
    settings_free(&s);
    free(out);
}

static void test_reconfigure_passes_the_new_element(void **state)
{
    (void)state;
    pv_settings_t s, fresh;
    char *out;
    load_config(&s, "<plugins><good><count>3</count></good></plugins>\n");
    assert_int_equal(load_plugins(&s, &out), 0);
    free(out);
    char *path = write_file(tmpdir, "new.xml",
                            "<palaver><plugins><good><count>9</count></good></plugins></palaver>");
    capture_begin();
    assert_int_equal(config_load(&fresh, path, true), 0);
    modules_reconfigure(&fresh);
    out = capture_end();
    char *t = trace_text();
    assert_contains(t, "reconfigure good count=9 state=42\n");
    free(t);
    free(out);
    settings_free(&fresh);
    free(path);
    finish(&s, NULL);
}

static void test_dependencies_load_first_and_stop_last(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<plugins><dep-user/><good/></plugins>\n");
    assert_int_equal(load_plugins(&s, &out), 0);
    modules_shutdown();
    char *t = trace_text();
    assert_string_equal(t, "init good count=1\ninit dep-user good-loaded=1\n"
                           "shutdown dep-user\nshutdown good state=42\n");
    free(t);
    settings_free(&s);
    free(out);
}

static void test_missing_module_is_refused(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<plugins><good/><does-not-exist/></plugins>\n");
    assert_int_equal(load_plugins(&s, &out), -1);
    char want[2048];
    snprintf(want, sizeof want, "plugin 'does-not-exist': cannot open module does-not-exist.la "
             "or does-not-exist.so in %s: file not found", moddir);
    assert_contains(out, want);
    assert_false(pv_plugin_loaded("good"));
    char *t = trace_text();
    assert_string_equal(t, "");  /* nothing initialised before the list was checked */
    free(t);
    finish(&s, out);
}

static void test_unresolved_symbol_is_refused_at_load(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<plugins><undefined-sym/></plugins>\n");
    assert_int_equal(load_plugins(&s, &out), -1);
    char want[2048];
    snprintf(want, sizeof want, "plugin 'undefined-sym' (%s): cannot load: ",
             so_path("undefined-sym"));
    assert_contains(out, want);
    assert_contains(out, "undefined symbol: pv_no_such_function");
    finish(&s, out);
}

static void test_first_directory_wins(void **state)
{
    (void)state;
    /* A plain good.so (no .la) in an earlier directory beats the build
     * tree's good.la: it is a copy of dep-user.so, so loading it is refused
     * for its descriptor, which proves which file was chosen. */
    char dir[1200], cmd[3000];
    snprintf(dir, sizeof dir, "%s/first", tmpdir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s' '%s/good.so'", dir, so_path("dep-user"),
             dir);
    assert_int_equal(system(cmd), 0);
    pv_settings_t s;
    char *out;
    load_config(&s, "<plugins><good/></plugins>\n");
    char path[2400];
    snprintf(path, sizeof path, "%s:%s", dir, moddir);
    assert_int_equal(modules_init(path), 0);
    assert_int_equal(load_plugins(&s, &out), -1);
    char want[2048];
    snprintf(want, sizeof want, "plugin 'good' (%s/good.so): missing descriptor", dir);
    assert_contains(out, want);
    finish(&s, out);
}

static void test_wrong_abi_major_is_refused(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<plugins><bad-abi/></plugins>\n");
    assert_int_equal(load_plugins(&s, &out), -1);
    char want[2048];
    snprintf(want, sizeof want, "plugin 'bad-abi' (%s): built for plugin ABI %d.0, but this "
             "palaver provides %d.%d (the major version differs); rebuild the plugin",
             so_path("bad-abi"), PV_ABI_MAJOR + 1, PV_ABI_MAJOR, PV_ABI_MINOR);
    assert_contains(out, want);
    finish(&s, out);
}

static void test_newer_minor_is_refused(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<plugins><new-minor/></plugins>\n");
    assert_int_equal(load_plugins(&s, &out), -1);
    char want[2048];
    snprintf(want, sizeof want, "plugin 'new-minor' (%s): built for plugin ABI %d.%d, newer "
             "than this palaver's %d.%d; upgrade palaver or rebuild the plugin",
             so_path("new-minor"), PV_ABI_MAJOR, PV_ABI_MINOR + 1, PV_ABI_MAJOR, PV_ABI_MINOR);
    assert_contains(out, want);
    finish(&s, out);
}

static void test_missing_descriptor_is_refused(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<plugins><no-desc/></plugins>\n");
    assert_int_equal(load_plugins(&s, &out), -1);
    char want[2048];
    snprintf(want, sizeof want, "plugin 'no-desc' (%s): missing descriptor: the module exports "
             "no symbol no_desc_LTX_pv_plugin; define it with PV_PLUGIN_DEFINE(no_desc)",
             so_path("no-desc"));
    assert_contains(out, want);
    finish(&s, out);
}

static void test_descriptor_name_must_match_the_file(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<plugins><misnamed/></plugins>\n");
    assert_int_equal(load_plugins(&s, &out), -1);
    char want[2048];
    snprintf(want, sizeof want, "plugin 'misnamed' (%s): its descriptor names it 'other-name'",
             so_path("misnamed"));
    assert_contains(out, want);
    finish(&s, out);
}

static void test_unlisted_requirement_is_refused(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<plugins><needs-missing/></plugins>\n");
    assert_int_equal(load_plugins(&s, &out), -1);
    char want[2048];
    snprintf(want, sizeof want, "plugin 'needs-missing' (%s) requires 'absent-plugin', which is "
             "not listed in <plugins>; add <absent-plugin/> to <plugins> in %s",
             so_path("needs-missing"), cfg_path);
    assert_contains(out, want);
    finish(&s, out);
}

static void test_dependency_cycle_is_refused(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<plugins><good/><cycle-a/><cycle-b/></plugins>\n");
    assert_int_equal(load_plugins(&s, &out), -1);
    char want[2048];
    snprintf(want, sizeof want, "plugin 'cycle-a' (%s): dependency cycle cycle-a -> cycle-b -> "
             "cycle-a", so_path("cycle-a"));
    assert_contains(out, want);
    char *t = trace_text();
    assert_string_equal(t, "");
    free(t);
    finish(&s, out);
}

static void test_init_failure_stops_and_unwinds(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<plugins>\n<good/>\n<init-fail/>\n</plugins>\n");
    assert_int_equal(load_plugins(&s, &out), -1);
    char want[2048];
    snprintf(want, sizeof want, "%s:4: init-fail: refusing to start (test)", cfg_path);
    assert_contains(out, want);
    snprintf(want, sizeof want, "plugin 'init-fail' (%s): init failed (see above)",
             so_path("init-fail"));
    assert_contains(out, want);
    assert_false(pv_plugin_loaded("good"));
    char *t = trace_text();
    /* good was initialised, so it is shut down; init-fail never was. */
    assert_string_equal(t, "init good count=1\ninit init-fail\nshutdown good state=42\n");
    free(t);
    finish(&s, out);
}

static void test_plugin_config_errors_name_file_and_line(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<plugins>\n<good>\n<count>lots</count>\n</good>\n</plugins>\n");
    assert_int_equal(load_plugins(&s, &out), -1);
    char want[2048];
    snprintf(want, sizeof want, "%s:4: good: count must be an integer between 0 and 100, not "
             "'lots'", cfg_path);
    assert_contains(out, want);
    assert_contains(out, "plugin 'good'");
    assert_contains(out, "init failed");
    free(out);
    modules_shutdown();
    settings_free(&s);

    load_config(&s, "<plugins>\n<good>\n<cuont>1</cuont>\n</good>\n</plugins>\n");
    assert_int_equal(load_plugins(&s, &out), -1);
    snprintf(want, sizeof want, "%s:4: good: unknown element <cuont> (known: count); did you "
             "mean <count>?", cfg_path);
    assert_contains(out, want);
    finish(&s, out);
}

/* ---- Plugin handles and declared elements (ABI minor 5) ---- */

static void test_handle_plugin_reads_declared_values(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<plugins><handle><count>3</count><loud>yes</loud><mode>slow</mode>"
                    "<tag>x</tag><peer>a</peer><peer>b</peer></handle></plugins>\n");
    assert_int_equal(load_plugins(&s, &out), 0);
    free(out);
    modules_shutdown();
    settings_free(&s);
    load_config(&s, "<plugins><handle/></plugins>\n");
    assert_int_equal(load_plugins(&s, &out), 0);
    finish(&s, out);
    char *t = trace_text();
    assert_string_equal(t, "start handle count=3 loud=1 mode=slow tag=x\n"
                           "shutdown handle state=5\n"
                           "start handle count=7 loud=0 mode=fast tag=(none)\n"
                           "shutdown handle state=5\n");
    free(t);
}

/* The hooks' and subscriptions' listing at debug level (caller frees). */
static char *chains_text(void)
{
    log_set_verbosity(2);
    capture_begin();
    router_dump_chains();
    char *out = capture_end();
    log_set_verbosity(0);
    return out;
}

static void test_handle_registrations_go_after_shutdown(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<plugins><handle/></plugins>\n");
    assert_int_equal(load_plugins(&s, &out), 0);
    free(out);
    pv_event_t *ev = pv_event("handle-test");
    assert_true(pv_event_has_subscribers(ev));
    pv_event_fire(ev, NULL);
    char *chains = chains_text();
    assert_contains(chains, "urn:test:handle");
    free(chains);
    log_set_verbosity(2);
    capture_begin();
    modules_shutdown(); /* the plugin's shutdown removes nothing itself */
    out = capture_end();
    log_set_verbosity(0);
    assert_contains(out, "plugin 'handle': 1 timer(s) stopped after its shutdown");
    assert_false(pv_event_has_subscribers(ev));
    chains = chains_text();
    if (strstr(chains, "urn:test:handle"))
        fail_msg("the plugin's hook outlived it:\n%s", chains);
    free(chains);
    pv_event_fire(ev, NULL); /* would call into the unloaded plugin */
    char *t = trace_text();
    assert_string_equal(t, "start handle count=7 loud=0 mode=fast tag=(none)\n"
                           "event handle\nshutdown handle state=5\n");
    free(t);
    settings_free(&s);
    free(out);
}

/* Loads body's plugins expecting a refusal that says "PATH:LINE: handle: msg";
 * the plugin must not have started. */
static void expect_refusal(const char *body, bool check_only, int line, const char *msg)
{
    pv_settings_t s;
    char *out, want[2048];
    load_config(&s, body);
    capture_begin();
    int rc = check_only ? modules_check_plugins(&s) : modules_load_plugins(&s);
    out = capture_end();
    assert_int_equal(rc, -1);
    snprintf(want, sizeof want, "%s:%d: handle: %s", cfg_path, line, msg);
    assert_contains(out, want);
    char *t = trace_text();
    assert_string_equal(t, "");
    free(t);
    finish(&s, out);
}

static void test_declared_elements_refuse_bad_config(void **state)
{
    (void)state;
    expect_refusal("<plugins>\n<handle>\n<cuont>1</cuont>\n</handle>\n</plugins>\n", false,
                   4, "unknown element <cuont> (known: count, loud, mode, tag, "
                   "peer); did you mean <count>?");
    expect_refusal("<plugins>\n<handle>\n<count>99</count>\n</handle>\n</plugins>\n", false,
                   4, "count must be an integer between 1 and 50, not '99'");
    expect_refusal("<plugins>\n<handle>\n<loud>maybe</loud>\n</handle>\n</plugins>\n", false,
                   4, "loud must be a boolean");
    expect_refusal("<plugins>\n<handle>\n<mode>quick</mode>\n</handle>\n</plugins>\n", false,
                   4, "<mode> must be one of fast|slow, not 'quick'");
    expect_refusal("<plugins>\n<handle>\n<tag>a</tag>\n<tag>b</tag>\n</handle>\n</plugins>\n",
                   false, 5, "<tag> may appear only once (keep one)");
    /* --check-config finds the same without starting anything */
    expect_refusal("<plugins>\n<handle>\n<count>0</count>\n</handle>\n</plugins>\n", true,
                   4, "count must be an integer between 1 and 50, not '0'");
}

static void test_declared_elements_checked_at_reconfigure(void **state)
{
    (void)state;
    pv_settings_t s, bad, fresh;
    char *out;
    load_config(&s, "<plugins><handle><tag>a</tag></handle></plugins>\n");
    assert_int_equal(load_plugins(&s, &out), 0);
    free(out);
    char *path = write_file(tmpdir, "bad.xml",
                            "<palaver><plugins><handle><count>500</count></handle></plugins>"
                            "</palaver>");
    capture_begin();
    assert_int_equal(config_load(&bad, path, true), 0);
    modules_reconfigure(&bad);
    out = capture_end();
    assert_contains(out, "count must be an integer between 1 and 50, not '500'");
    assert_contains(out, "plugin 'handle': the new configuration has errors (see above); it "
                         "keeps the old one");
    free(out);
    free(path);
    path = write_file(tmpdir, "new.xml",
                      "<palaver><plugins><handle><count>9</count><tag>b</tag></handle></plugins>"
                      "</palaver>");
    capture_begin();
    assert_int_equal(config_load(&fresh, path, true), 0);
    modules_reconfigure(&fresh);
    out = capture_end();
    assert_contains(out, "handle: <tag> changed: the new value takes effect at restart");
    char *t = trace_text();
    assert_string_equal(t, "start handle count=7 loud=0 mode=fast tag=a\n"
                           "reconfigure handle count=9 loud=0 mode=fast tag=b\n");
    free(t);
    free(out);
    free(path);
    settings_free(&bad);
    settings_free(&fresh);
    finish(&s, NULL);
}

/* ---- Companions (ABI minor 6) ---- */

static void test_companion_loads_with_its_plugin(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<plugins><with-companion/></plugins>\n");
    assert_int_equal(load_plugins(&s, &out), 0);
    assert_true(pv_plugin_loaded("with-companion"));
    assert_true(pv_plugin_loaded("companion"));
    modules_shutdown();
    char *t = trace_text();
    assert_string_equal(t, "init with-companion\ninit companion with-companion-loaded=1\n"
                           "shutdown companion\nshutdown with-companion\n");
    free(t);
    settings_free(&s);
    free(out);

    /* listed as well (here before the plugin naming it): loaded once */
    reset_trace(NULL);
    load_config(&s, "<plugins><companion enabled=\"true\"/><with-companion/></plugins>\n");
    assert_int_equal(load_plugins(&s, &out), 0);
    modules_shutdown();
    t = trace_text();
    assert_string_equal(t, "init with-companion\ninit companion with-companion-loaded=1\n"
                           "shutdown companion\nshutdown with-companion\n");
    free(t);
    settings_free(&s);
    free(out);
}

static void test_companion_turned_off(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<plugins><with-companion/><companion enabled=\"false\"/></plugins>\n");
    assert_int_equal(load_plugins(&s, &out), 0);
    assert_true(pv_plugin_loaded("with-companion"));
    assert_false(pv_plugin_loaded("companion"));
    modules_shutdown();
    char *t = trace_text();
    assert_string_equal(t, "init with-companion\nshutdown with-companion\n");
    free(t);
    settings_free(&s);
    free(out);
}

/* <NAME enabled="false"> naming no companion: refused with FILE:LINE, at
 * start-up and by --check-config, before any plugin starts. */
static void test_unknown_companion_is_refused(void **state)
{
    (void)state;
    for (int check = 0; check < 2; check++) {
        pv_settings_t s;
        char *out, want[2048];
        load_config(&s, "<plugins>\n<with-companion/>\n<companoin enabled=\"off\"/>\n</plugins>\n");
        capture_begin();
        int rc = check ? modules_check_plugins(&s) : modules_load_plugins(&s);
        out = capture_end();
        assert_int_equal(rc, -1);
        snprintf(want, sizeof want, "%s:4: <companoin enabled=\"off\">: no plugin loaded has a "
                 "companion named 'companoin', so it turns nothing off; did you mean "
                 "<companion enabled=\"false\"/>?", cfg_path);
        assert_contains(out, want);
        assert_false(pv_plugin_loaded("with-companion"));
        char *t = trace_text();
        assert_string_equal(t, "");
        free(t);
        finish(&s, out);
    }

    /* a value that is not a boolean: the config itself is refused */
    char *path = write_file(tmpdir, "enabled.xml",
                            "<palaver>\n<plugins>\n<with-companion/>\n"
                            "<companion enabled=\"maybe\"/>\n</plugins>\n</palaver>\n");
    pv_settings_t s;
    capture_begin();
    int rc = config_load(&s, path, true);
    char *out = capture_end(), want[2048];
    assert_int_equal(rc, -1);
    snprintf(want, sizeof want, "%s:4: <companion enabled=\"maybe\">: enabled must be true or "
             "false", path);
    assert_contains(out, want);
    settings_free(&s);
    free(out);
    free(path);
}

/* A descriptor built for minor 5 ends before `companions`: never read. */
static void test_old_abi_plugin_has_no_companions(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<plugins><old-companion/></plugins>\n");
    assert_int_equal(load_plugins(&s, &out), 0);
    assert_true(pv_plugin_loaded("old-companion"));
    assert_false(pv_plugin_loaded("companion"));
    modules_shutdown();
    char *t = trace_text();
    assert_string_equal(t, "init old-companion\n");
    free(t);
    settings_free(&s);
    free(out);

    load_config(&s, "<plugins>\n<old-companion/>\n<companion enabled=\"false\"/>\n</plugins>\n");
    assert_int_equal(load_plugins(&s, &out), -1);
    char want[2048];
    snprintf(want, sizeof want, "%s:4: <companion enabled=\"false\">: no plugin loaded has a "
             "companion named 'companion', so it turns nothing off; none of the listed plugins "
             "has companions", cfg_path);
    assert_contains(out, want);
    finish(&s, out);
}

/* SIGHUP: turning a loaded companion off (or one that is off back on) is a
 * change of the plugin list, which needs a restart; the same list is not. */
static void test_companion_change_at_reconfigure(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        bool changed;
    } cases[] = {
        {"<plugins><with-companion/></plugins>", false},
        {"<plugins><with-companion/><companion/></plugins>", false},
        {"<plugins><with-companion/><companion enabled='false'/></plugins>", true},
        {"<plugins><with-companion/><good/></plugins>", true},
    };
    pv_settings_t s;
    char *out;
    load_config(&s, "<plugins><with-companion/></plugins>\n");
    assert_int_equal(load_plugins(&s, &out), 0);
    free(out);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "<palaver>%s</palaver>", cases[i].body);
        char *path = write_file(tmpdir, "new.xml", text);
        pv_settings_t fresh;
        capture_begin();
        assert_int_equal(config_load(&fresh, path, true), 0);
        modules_reconfigure(&fresh);
        out = capture_end();
        bool warned = strstr(out, "the list of plugins changed") != NULL;
        if (warned != cases[i].changed)
            fail_msg("%s: expected %s warning, got:\n%s", cases[i].body,
                     cases[i].changed ? "a" : "no", out);
        free(out);
        settings_free(&fresh);
        free(path);
    }
    finish(&s, NULL);

    /* loaded with the companion off: the same config again is no change */
    load_config(&s, "<plugins><with-companion/><companion enabled='false'/></plugins>\n");
    assert_int_equal(load_plugins(&s, &out), 0);
    free(out);
    char *path = write_file(tmpdir, "new.xml", "<palaver><plugins><with-companion/>"
                                               "<companion enabled='0'/></plugins></palaver>");
    pv_settings_t fresh;
    capture_begin();
    assert_int_equal(config_load(&fresh, path, true), 0);
    modules_reconfigure(&fresh);
    out = capture_end();
    if (strstr(out, "the list of plugins changed"))
        fail_msg("unexpected warning:\n%s", out);
    free(out);
    settings_free(&fresh);
    free(path);
    path = write_file(tmpdir, "new.xml", "<palaver><plugins><with-companion/></plugins></palaver>");
    capture_begin();
    assert_int_equal(config_load(&fresh, path, true), 0);
    modules_reconfigure(&fresh);
    out = capture_end();
    assert_contains(out, "the list of plugins changed");
    free(out);
    settings_free(&fresh);
    free(path);
    finish(&s, NULL);
}

/* ---- Backends ---- */

static int load_backend(pv_settings_t *s, char **out)
{
    capture_begin();
    int rc = modules_load_backend(s);
    *out = capture_end();
    return rc;
}

static void test_good_backend_opens_and_closes_last(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<backend><type>good-store</type></backend>\n<spool>/data</spool>\n"
                    "<plugins><good/></plugins>\n");
    assert_int_equal(load_backend(&s, &out), 0);
    free(out);
    assert_string_equal(pv_store_name(), "good-store");
    void *h = NULL;
    const pv_store_t *st = pv_store(&h);
    assert_non_null(st);
    assert_non_null(h);
    assert_int_equal(*(int *)h, 7);
    assert_string_equal(st->name, "good-store");
    assert_int_equal(load_plugins(&s, &out), 0);
    modules_shutdown();
    assert_null(pv_store(NULL));
    assert_null(pv_store_name());
    char *t = trace_text();
    assert_string_equal(t, "open good-store type=good-store spool=/data\n"
                           "init good count=1\nshutdown good state=42\n"
                           "close good-store handle=7\n");
    free(t);
    settings_free(&s);
    free(out);
}

static void test_short_backend_descriptor_is_refused(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<backend><type>bad-store</type></backend>\n");
    assert_int_equal(load_backend(&s, &out), -1);
    char want[2048];
    snprintf(want, sizeof want, "backend 'bad-store' (%s): its descriptor is %zu bytes, smaller "
             "than the %zu this palaver needs", so_path("bad-store"),
             offsetof(pv_store_t, room_list),
             offsetof(pv_store_t, archive_delete) + sizeof(void (*)(void)));
    assert_contains(out, want);
    assert_null(pv_store(NULL));
    char *t = trace_text();
    assert_string_equal(t, "");  /* never opened */
    free(t);
    finish(&s, out);
}

static void test_missing_backend_is_refused(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<backend><type>nosuchstore</type></backend>\n");
    assert_int_equal(load_backend(&s, &out), -1);
    char want[2048];
    snprintf(want, sizeof want, "backend 'nosuchstore': cannot open module nosuchstore.la or "
             "nosuchstore.so in %s", moddir);
    assert_contains(out, want);
    finish(&s, out);

    /* A plugin is not a backend. */
    load_config(&s, "<backend><type>good</type></backend>\n");
    assert_int_equal(load_backend(&s, &out), -1);
    snprintf(want, sizeof want, "backend 'good' (%s): missing descriptor: the module exports no "
             "symbol good_LTX_pv_store", so_path("good"));
    assert_contains(out, want);
    finish(&s, out);
}

static void test_search_path_is_a_list(void **state)
{
    (void)state;
    pv_settings_t s;
    char *out;
    load_config(&s, "<plugins><good/></plugins>\n");
    char path[2200];
    snprintf(path, sizeof path, "%s/empty:%s", tmpdir, moddir);
    assert_int_equal(modules_init(path), 0);
    assert_int_equal(load_plugins(&s, &out), 0);
    assert_true(pv_plugin_loaded("good"));
    finish(&s, out);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, reset_trace)
    const struct CMUnitTest tests[] = {
        T(test_good_plugin_gets_its_config),
        T(test_reconfigure_passes_the_new_element),
        T(test_dependencies_load_first_and_stop_last),
        T(test_missing_module_is_refused),
        T(test_unresolved_symbol_is_refused_at_load),
        T(test_first_directory_wins),
        T(test_wrong_abi_major_is_refused),
        T(test_newer_minor_is_refused),
        T(test_missing_descriptor_is_refused),
        T(test_descriptor_name_must_match_the_file),
        T(test_unlisted_requirement_is_refused),
        T(test_dependency_cycle_is_refused),
        T(test_init_failure_stops_and_unwinds),
        T(test_plugin_config_errors_name_file_and_line),
        T(test_handle_plugin_reads_declared_values),
        T(test_handle_registrations_go_after_shutdown),
        T(test_declared_elements_refuse_bad_config),
        T(test_declared_elements_checked_at_reconfigure),
        T(test_companion_loads_with_its_plugin),
        T(test_companion_turned_off),
        T(test_unknown_companion_is_refused),
        T(test_old_abi_plugin_has_no_companions),
        T(test_companion_change_at_reconfigure),
        T(test_good_backend_opens_and_closes_last),
        T(test_short_backend_descriptor_is_refused),
        T(test_missing_backend_is_refused),
        T(test_search_path_is_a_list),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
