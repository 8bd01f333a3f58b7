/*
 * admin_commands.h: what the admin-commands plugin's files share: muc-core's
 * table, the command nodes, the replies every command builds, and the
 * handlers plugin.c registers. Nothing here is exported: the module's only
 * symbol is its descriptor.
 */
#ifndef ADMIN_COMMANDS_H
#define ADMIN_COMMANDS_H

#include <palaver/muc.h>
#include <palaver/palaver.h>
#include <stdbool.h>

#define NAME "admin-commands"
#define NS_COMMANDS "http://jabber.org/protocol/commands"
#define NS_ADMIN "http://jabber.org/protocol/admin"
#define NS_MUC_ADMIN "http://jabber.org/protocol/muc#admin"
#define NS_MUC_ROOMCONFIG "http://jabber.org/protocol/muc#roomconfig"

/* muc-core's table (plugin.c), set while the plugin runs. */
extern const pv_muc_api_t *api;

/* An IQ result to iq holding <command node sessionid status/>; *cmd set.
 * Caller frees; NULL when out of memory. */
pv_el_t *command_reply(const pv_el_t *iq, const char *node, const char *sid, const char *status,
                       pv_el_t **cmd);

/* The `completed` reply with an info note formatted as printf does, for
 * the IQ ctx answers. Caller frees; NULL when out of memory. */
pv_el_t *completed_reply(pv_stanza_ctx_t *ctx, const char *node, const char *sid, const char *fmt,
                         ...) __attribute__((format(printf, 4, 5)));

/* A new form of type `form` (FORM_TYPE NS_ADMIN, `title`) in an `executing`
 * reply with a complete action; *x set. Caller frees; NULL when out of
 * memory. */
pv_el_t *form_reply(pv_stanza_ctx_t *ctx, const char *node, const char *sid, const char *title,
                    pv_el_t **x);

/* Sends res and frees it: PV_HANDLED; res NULL (a reply that could not be
 * built): internal-server-error recorded, PV_ERROR. */
pv_verdict_t send_and_free(pv_stanza_ctx_t *ctx, pv_el_t *res);

/* service_commands.c (ADHOC-1): list-rooms, destroy-room, announce,
 * get-statistics, registered first. */
#define NSERVICE 4
extern const pv_muc_command_t service_commands[NSERVICE];

/* admin_commands.c: the commands' nodes and names (NCOMMANDS of them), and
 * their handler: the form to fill in, then the work. */
extern const char *const commands[][2];
#define NCOMMANDS 4
pv_verdict_t admin_command_run(pv_stanza_ctx_t *ctx, const pv_el_t *cmd, const char *sid, void *ud);

/* unused_rooms.c: destroy-unused-rooms. init notes the start-up time (rooms
 * without an archived message count as used then); run: a submitted form's
 * days (text) and dry-run, answered when the work is done (the stanza is
 * parked meanwhile); shutdown frees the jobs. */
void unused_rooms_init(void);
pv_verdict_t unused_rooms_run(pv_stanza_ctx_t *ctx, const char *days, bool dry_run,
                              const char *sid);
void unused_rooms_shutdown(void);

#endif
