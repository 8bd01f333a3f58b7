/*
 * commands.c: the XEP-0050 commands other plugins add to the service's
 * command list (pv_muc_api_t's register_command, palaver/muc.h), in the
 * order they were registered. adhoc.c answers the service JID's commands
 * from it: it checks who may run one, handles `cancel` and picks the
 * session id, and hands the rest to the command's handler. The
 * admin-commands plugin's commands (ADHOC-1, ADHOC-2) come this way.
 *
 * Ownership: the table holds the plugins' definitions, borrowed until they
 * unregister them (their shutdown); the array itself is muc-core's.
 */
#include "muc_internal.h"
#include <stdlib.h>
#include <string.h>

static const pv_muc_command_t **cmds;
static size_t ncmds;

const pv_muc_command_t *commands_find(const char *node)
{
    for (size_t i = 0; node && i < ncmds; i++)
        if (!strcmp(cmds[i]->node, node))
            return cmds[i];
    return NULL;
}

int commands_register(const pv_muc_command_t *def)
{
    if (!def || !def->node || !def->name || !def->run) {
        pv_log(PV_LOG_ERROR, MUC, "a command needs a node, a name and a handler");
        return -1;
    }
    if (commands_find(def->node)) {
        pv_log(PV_LOG_ERROR, MUC, "the command %s is registered already", def->node);
        return -1;
    }
    const pv_muc_command_t **c = realloc(cmds, (ncmds + 1) * sizeof *c);
    if (!c) {
        pv_log(PV_LOG_ERROR, MUC, "out of memory registering the command %s", def->node);
        return -1;
    }
    cmds = c;
    cmds[ncmds++] = def;
    return 0;
}

void commands_unregister(const pv_muc_command_t *def)
{
    for (size_t i = 0; i < ncmds; i++)
        if (cmds[i] == def) {
            memmove(cmds + i, cmds + i + 1, (ncmds - i - 1) * sizeof *cmds);
            ncmds--;
            break;
        }
    if (!ncmds) {
        free(cmds);
        cmds = NULL;
    }
}

bool commands_may_run(const pv_muc_command_t *def, const char *bare)
{
    return def->who == PV_MUC_COMMAND_ANYONE || pv_is_sadmin(bare);
}

void commands_items(pv_el_t *query, const char *bare)
{
    for (size_t i = 0; i < ncmds; i++) {
        if (!commands_may_run(cmds[i], bare))
            continue;
        const char *const item[1][2] = {{cmds[i]->node, cmds[i]->name}};
        adhoc_add_items(query, pv_service_domain(), item, 1);
    }
}

void commands_free(void)
{
    free(cmds);
    cmds = NULL;
    ncmds = 0;
}
