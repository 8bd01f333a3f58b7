/*
 * tests/sdk/load_module.c: loads the plugins a config lists through the real
 * module loader, then sends one IQ through the router and prints what came
 * out. test_sdk_build.sh uses it to prove that a plugin built with nothing
 * but `cc -shared -fPIC -I.../include` works in Palaver.
 *
 * Usage: load_module CONFIG MODDIR NS  (sends <iq type='get'><query xmlns=NS/>
 * to the configured domain). Exit status 0 when loading worked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <palaver/palaver.h>

#include "modules.h"
#include "output.h"
#include "router_internal.h"
#include "settings.h"

static int print_sink(const char *buf, size_t len, void *ud)
{
    (void)ud;
    printf("sent: %.*s\n", (int)len, buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: load_module CONFIG MODDIR NS\n");
        return 2;
    }
    pv_settings_t s;
    int rc = 1;
    if (config_load(&s, argv[1], true) < 0)
        goto out;
    settings_set_current(&s);
    if (!s.jid || router_set_domain(s.jid) < 0) {
        fprintf(stderr, "load_module: %s needs a valid <name>\n", argv[1]);
        goto out;
    }
    if (modules_init(argv[2]) < 0 || modules_load_plugins(&s) < 0)
        goto out_modules;
    for (size_t i = 0; s.plugins[i]; i++)
        printf("loaded: %s %d\n", s.plugins[i], pv_plugin_loaded(s.plugins[i]));

    output_set_sink(print_sink, NULL);
    char xml[512];
    snprintf(xml, sizeof xml,
             "<iq xmlns='jabber:component:accept' type='get' id='q1' from='user@example.org/r' "
             "to='%s'><query xmlns='%s'/></iq>", s.jid, argv[3]);
    char err[128];
    pv_el_t *iq = pv_el_parse(xml, strlen(xml), err, sizeof err);
    if (!iq) {
        fprintf(stderr, "load_module: cannot parse the test IQ: %s\n", err);
        goto out_modules;
    }
    router_dispatch(iq);  /* takes ownership */
    output_set_sink(NULL, NULL);
    rc = 0;
out_modules:
    modules_shutdown();
    router_cleanup();
out:
    settings_free(&s);
    return rc;
}
