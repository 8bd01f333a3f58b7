/*
 * tests/unit/test_log.c: the log line format, level filtering by verbosity,
 * reopening after rotation (SIGHUP) and one-line-per-message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log_internal.h"
#include <palaver/log.h>

static char dir[64], path[128], rotated[128];

static int setup(void **state)
{
    strcpy(dir, "/tmp/pvlogXXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/palaver.log", dir);
    snprintf(rotated, sizeof rotated, "%s/palaver.log.1", dir);
    log_set_verbosity(0);
    return 0;
}

static int teardown(void **state)
{
    log_close();
    unlink(path);
    unlink(rotated);
    rmdir(dir);
    return 0;
}

/* Reads the whole file into a malloc'd string. */
static char *slurp(const char *p)
{
    FILE *f = fopen(p, "r");
    if (!f)
        return strdup("");
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_line_format(void **state)
{
    mode_t old = umask(022);
    assert_int_equal(log_open(path), 0);
    umask(old);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640); /* logs name users: not world-readable */
    pv_log(PV_LOG_WARN, "muc-core", "room %s: %d occupants", "lobby@conf", 3);
    char *s = slurp(path);
    regex_t re;
    assert_int_equal(regcomp(&re,
                             "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} WARN "
                             "muc-core: room lobby@conf: 3 occupants\n$",
                             REG_EXTENDED),
                     0);
    if (regexec(&re, s, 0, NULL, 0) != 0)
        fail_msg("unexpected line: %s", s);
    regfree(&re);
    free(s);
}

static void test_levels_follow_verbosity(void **state)
{
    assert_int_equal(log_open(path), 0);
    pv_log(PV_LOG_ERROR, "core", "e");
    pv_log(PV_LOG_INFO, "core", "i");
    pv_log(PV_LOG_DEBUG, "core", "hidden debug");
    pv_log(PV_LOG_TRAFFIC, "core", "hidden traffic");
    assert_true(pv_log_enabled(PV_LOG_INFO));
    assert_false(pv_log_enabled(PV_LOG_DEBUG));
    log_set_verbosity(1);
    pv_log(PV_LOG_DEBUG, "core", "shown debug");
    pv_log(PV_LOG_TRAFFIC, "core", "hidden traffic");
    log_set_verbosity(2);
    assert_true(pv_log_enabled(PV_LOG_TRAFFIC));
    pv_log(PV_LOG_TRAFFIC, "core", "shown traffic");
    char *s = slurp(path);
    assert_int_equal(count_lines(s), 4);
    assert_non_null(strstr(s, " ERROR core: e\n"));
    assert_non_null(strstr(s, " INFO core: i\n"));
    assert_non_null(strstr(s, " DEBUG core: shown debug\n"));
    assert_non_null(strstr(s, " TRAFFIC core: shown traffic\n"));
    assert_null(strstr(s, "hidden"));
    free(s);
}

static void test_one_line_per_message(void **state)
{
    assert_int_equal(log_open(path), 0);
    pv_log(PV_LOG_INFO, "core", "from 'a\nFAKE ERROR core: injected'");
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    pv_log(PV_LOG_INFO, "core", "%s", big);
    char *s = slurp(path);
    assert_int_equal(count_lines(s), 2);
    assert_non_null(strstr(s, big)); /* long lines are not truncated */
    free(s);
}

static void test_reopen_after_rotation(void **state)
{
    assert_int_equal(log_open(path), 0);
    pv_log(PV_LOG_INFO, "core", "before");
    assert_int_equal(rename(path, rotated), 0);
    assert_int_equal(log_reopen(), 0);
    pv_log(PV_LOG_INFO, "core", "after");
    char *old = slurp(rotated), *cur = slurp(path);
    assert_non_null(strstr(old, "before"));
    assert_null(strstr(old, "after"));
    assert_non_null(strstr(cur, "after"));
    free(old);
    free(cur);
}

static void test_open_failure_keeps_previous(void **state)
{
    assert_int_equal(log_open(path), 0);
    assert_int_equal(log_open("/nonexistent-dir/x/palaver.log"), -1);
    pv_log(PV_LOG_INFO, "core", "still here");
    char *s = slurp(path);
    assert_non_null(strstr(s, "cannot open log file /nonexistent-dir/x/palaver.log"));
    assert_non_null(strstr(s, "still here"));
    free(s);
    log_close();
    assert_int_equal(log_reopen(), 0); /* stderr: nothing to reopen */
    assert_int_equal(log_open(NULL), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_line_format),
        T(test_levels_follow_verbosity),
        T(test_one_line_per_message),
        T(test_reopen_after_rotation),
        T(test_open_failure_keeps_previous),
    };
    return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
