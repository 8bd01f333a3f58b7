/*
 * palaver/router.h: the hook chain every inbound stanza goes through, and the
 * way out (sending stanzas and errors).
 *
 * The core parses each stanza once, classifies it (kind x target x IQ payload
 * namespace), normalises its from/to JIDs, then calls the handlers registered
 * for that class in priority order (higher first; equal priorities in
 * registration order). A handler returns:
 *   PV_PASS     the next handler gets the stanza;
 *   PV_HANDLED  stop: the handler answered (or deliberately dropped) it;
 *   PV_ERROR    stop: the handler called pv_stanza_fail() and the core sends
 *               the error reply (never for stanzas of type error or result);
 *   PV_AGAIN    stop for now: the handler called pv_stanza_park() because
 *               what the stanza needs is still loading; the core keeps the
 *               stanza and runs the whole chain for it again later (see
 *               "Parking" below). Since ABI 1.1.
 * When every handler passes, an IQ get/set gets `service-unavailable`; other
 * stanzas are dropped. A stanza is never answered twice.
 *
 * Stanzas with an unparseable `from` or `to` get `jid-malformed` (or are
 * dropped if they are errors) before any hook runs.
 */
#ifndef PALAVER_ROUTER_H
#define PALAVER_ROUTER_H

#include <palaver/jid.h>
#include <palaver/xml.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { PV_PASS = 0, PV_HANDLED = 1, PV_ERROR = 2, PV_AGAIN = 3 } pv_verdict_t;

/* Stanza kinds (bit flags so a hook can take several). */
enum { PV_KIND_MESSAGE = 1 << 0, PV_KIND_PRESENCE = 1 << 1, PV_KIND_IQ = 1 << 2, PV_KIND_ANY = 7 };

/* Addressing classes of the stanza's `to` (bit flags). */
enum {
    PV_TO_SERVICE = 1 << 0, /* the component domain itself (with or without resource) */
    PV_TO_BARE = 1 << 1,    /* node@domain, e.g. a room */
    PV_TO_FULL = 1 << 2,    /* node@domain/resource, e.g. an occupant */
    PV_TO_ANY = 7
};

/* What a handler is given. Everything is borrowed for the call. */
typedef struct pv_stanza_ctx {
    pv_el_t *stanza;        /* the stanza; handlers may read, not free */
    int kind;               /* one PV_KIND_* */
    int to_class;           /* one PV_TO_* */
    const char *type;       /* the type attribute, or "" (never NULL) */
    const pv_jid_t *from;   /* normalised sender */
    const pv_jid_t *to;     /* normalised recipient (within the component domain) */
    pv_el_t *payload;       /* IQs: the first child element; else NULL */
    const char *payload_ns; /* IQs: its namespace; else NULL */
    /* Set by pv_stanza_fail(); read by the core after a PV_ERROR verdict. */
    const char *err_type;
    const char *err_condition;
    const char *err_text;
    pv_el_t *err_extra; /* optional application-specific condition element */
} pv_stanza_ctx_t;

typedef pv_verdict_t (*pv_stanza_fn)(pv_stanza_ctx_t *ctx, void *ud);

typedef struct pv_hook pv_hook_t;

/* Registers a handler for stanzas whose kind is in `kinds` and whose target
 * class is in `to_classes`. For IQs, payload_ns restricts to that payload
 * namespace (NULL: any IQ). `owner` names the plugin (for logs).
 * Returns a handle for pv_hook_remove, or NULL on allocation failure. */
pv_hook_t *pv_hook_stanza(int kinds, int to_classes, const char *payload_ns, int priority,
                          pv_stanza_fn fn, void *ud, const char *owner);

/* Removes a handler (plugins call this in shutdown). NULL is fine. */
void pv_hook_remove(pv_hook_t *hook);

/* Records the error a handler wants sent; return PV_ERROR after calling it.
 * type: "cancel", "modify", "auth", "wait" or "continue"; condition: an
 * RFC 6120 defined condition ("item-not-found"); text: human-readable text
 * (may be NULL). The strings must outlive the call (use literals or copy into
 * the stanza's arena). Always returns PV_ERROR, so `return pv_stanza_fail(...)`. */
pv_verdict_t pv_stanza_fail(pv_stanza_ctx_t *ctx, const char *type, const char *condition,
                            const char *text);

/* pv_stanza_fail with a text formatted as printf does (ABI 1.7). The text is
 * written into the stanza's arena, so it lives as long as the core needs it
 * and the caller frees nothing. If it cannot be allocated the error is still
 * recorded, without a text (and logged). fmt NULL: no text. Always returns
 * PV_ERROR, so `return pv_stanza_failf(ctx, "modify", "bad-request",
 * "Unknown role '%s'", role);`. */
pv_verdict_t pv_stanza_failf(pv_stanza_ctx_t *ctx, const char *type, const char *condition,
                             const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- Parking: stanzas that wait for a load (ABI 1.1) ----
 *
 * A handler that needs something it has to load first (a stored room) parks
 * the stanza under a key (e.g. the room's bare JID) instead of blocking:
 *
 *     if (pv_park_busy(ctx, key) || !(room = find_room(key))) {
 *         pv_verdict_t v = pv_stanza_park(ctx, key);
 *         if (v == PV_AGAIN && !load_started(key))
 *             start_load(key);      // completion: pv_park_release or pv_park_fail
 *         return v;
 *     }
 *
 * The core keeps every stanza parked under a key in one FIFO, in the order the
 * handlers parked them. When the load completes the handler's code calls
 * pv_park_release(key) and the core runs the whole hook chain again for each
 * parked stanza, oldest first, as if it had just arrived (handlers must not
 * keep pointers into ctx across PV_AGAIN: the replay gets a new ctx). If a
 * replayed stanza is parked again under the same key it goes back to the
 * front and the stanzas behind it stay parked until the next release. When
 * the load fails, pv_park_fail(key, ...) answers every parked stanza with an
 * error. The replay never runs inside the caller of pv_park_release: it runs
 * once the outermost dispatch returned, or on the next loop iteration, and
 * always before the next stanza that arrives from the server, so a release
 * from a backend callback, from inside a handler or from a storage call that
 * completes synchronously is safe.
 *
 * Order: a stanza for a key that has stanzas parked must wait behind them.
 * The core cannot tell by itself which key a stanza belongs to, so a handler
 * that parks under a key also parks when pv_park_busy(ctx, key) is true,
 * even if what it waited for is there (the parked stanzas then run first).
 *
 * Bounds: at most 100 stanzas wait under one key; pv_stanza_park() refuses
 * the next with `resource-constraint` (type wait). A key whose stanzas have
 * waited 10 s without a release gets `internal-server-error` (type wait) for
 * all of them and its queue is dropped (a later pv_park_release for it does
 * nothing; the next stanza parks in a new queue). Errors are never sent in
 * answer to parked stanzas of type error, or IQs of type result: those are
 * dropped (and logged). At exit, parked stanzas are freed unanswered.
 *
 * Keys are compared byte for byte: normalise them (the bare JID from ctx->to
 * is). Call pv_stanza_park() before starting the load, since a storage call
 * may complete (and release) before it returns. */

/* Parks ctx's stanza under key and returns PV_AGAIN: return that verdict from
 * the handler (any other verdict cancels the park, with a warning). The core
 * takes the stanza (ctx stays borrowed; the key is copied). When key's queue
 * is full, records `resource-constraint` with pv_stanza_fail() and returns
 * PV_ERROR (also when out of memory or called outside a handler, then with
 * `internal-server-error`), so `return pv_stanza_park(ctx, key)` is always
 * right. A stanza being replayed from key that is parked again under key goes
 * back to the front of the queue and is never refused for the limit. */
pv_verdict_t pv_stanza_park(pv_stanza_ctx_t *ctx, const char *key);

/* True when stanzas are parked (or being parked, or being replayed) under
 * key ahead of ctx's stanza: the handler must then park it too, to keep the
 * arrival order. False for the stanza at the front of a replay. ctx may be
 * NULL (then: anything parked under key). */
bool pv_park_busy(const pv_stanza_ctx_t *ctx, const char *key);

/* What key's stanzas waited for is ready: they are dispatched again, oldest
 * first, after the current dispatch or callback returned (see above). A key
 * with nothing parked (never parked, timed out, failed) is ignored. */
void pv_park_release(const char *key);

/* The load for key failed: every stanza parked under key (including one whose
 * handler is still running and returns PV_AGAIN) is answered with this error
 * (type NULL: "wait"; condition NULL: "internal-server-error"; text may be
 * NULL) except errors and IQ results, which are dropped; all are freed and
 * the queue is gone. A key with nothing parked is ignored. */
void pv_park_fail(const char *key, const char *type, const char *condition, const char *text);

/* ---- Output ---- */

/* Our component domain (e.g. "conference.example.org"). */
const char *pv_service_domain(void);

/* Serializes and queues a stanza for the server. Does not take ownership.
 * Returns 0, or -1 when the stanza cannot be serialized (logged) or the output
 * buffer is over its high-water mark (logged; the stanza is dropped). While
 * disconnected, stanzas are dropped (the clients' sessions are gone too). */
int pv_send(const pv_el_t *stanza);

/* Builds the error reply to `orig` (to/from swapped, same id, type='error',
 * <error type><condition/><text/></error>). None of orig's payload is copied:
 * what the sender wrote may hold secrets (a join's password, a submitted
 * form). Returns a new root (caller frees) or NULL when orig is itself an
 * error or result. */
pv_el_t *pv_error_new(const pv_el_t *orig, const char *type, const char *condition,
                      const char *text);

/* pv_error_new + pv_send + free. Returns 0 or -1. */
int pv_send_error(const pv_el_t *orig, const char *type, const char *condition, const char *text);

/* Builds an empty IQ result to `iq` (to/from swapped, same id). Caller frees. */
pv_el_t *pv_iq_result_new(const pv_el_t *iq);

/* ---- Fan-out: serialize once, send to many ---- */

typedef struct pv_prepared pv_prepared_t;

/* Serializes `stanza` once with a slot for its `to` attribute (any existing
 * `to` is ignored). Returns a handle (free with pv_prepared_free) or NULL. */
pv_prepared_t *pv_prepare(const pv_el_t *stanza);

/* Queues the prepared stanza addressed to `to` (checked and escaped here, on
 * every call). Returns 0/-1 as pv_send; -1 also when `to` is empty or not
 * valid XML 1.0 UTF-8 (logged). */
int pv_send_prepared(const pv_prepared_t *p, const char *to);

void pv_prepared_free(pv_prepared_t *p);

/* ---- Recipients kept for fan-out (ABI 1.8) ----
 * A recipient that gets many prepared stanzas (a room occupant's session)
 * is checked and escaped once, when it is made, instead of at each
 * pv_send_prepared: a copy is then the prepared bytes and the recipient's,
 * written straight into the output buffer. The bytes sent are the same as
 * pv_send_prepared's with the same JID. */
typedef struct pv_recipient pv_recipient_t;

/* Checks the JID `to` (non-empty, valid XML 1.0 UTF-8; it is not parsed as
 * a JID) and keeps it escaped for an attribute value, in one allocation.
 * Returns the recipient (the caller frees it with pv_recipient_free), or
 * NULL when `to` is NULL, empty or invalid, or out of memory (logged). */
pv_recipient_t *pv_recipient_new(const char *to);

/* Frees a recipient; NULL does nothing. */
void pv_recipient_free(pv_recipient_t *r);

/* Queues the prepared stanza addressed to the recipient. Returns 0, or -1
 * as pv_send_prepared (logged: no stanza or no recipient given, or the
 * output refused it: disconnected, over the high-water mark). */
int pv_send_prepared_to(const pv_prepared_t *p, const pv_recipient_t *to);

/* ---- Fan-out to many kept recipients (ABI 1.9) ----
 * One prepared stanza to a list of kept recipients at once: the output
 * reserves room for all the copies and does its bookkeeping (statistics,
 * metrics, queue report, write watcher) once for the list, not per copy.
 * The bytes sent, and their order, are those of one pv_send_prepared_to
 * call per recipient. */

/* Queues the prepared stanza to to[0], to[1] ... to[n-1], a copy each, in
 * that order; the recipients are borrowed for the call. A NULL entry is
 * skipped (logged). Returns how many copies were queued (fewer than n when
 * the output refused some: disconnected, over the high-water mark; logged
 * at debug level), or -1 when p is NULL, or to is NULL with n > 0
 * (logged). */
long pv_send_prepared_many(const pv_prepared_t *p, const pv_recipient_t *const *to, size_t n);

/* A batch: the recipients of one stanza, collected one by one, then sent
 * with pv_fanout_send, which lets the core choose how: a copy each
 * (pv_send_prepared_many), or XEP-0033 multicast when it is configured
 * (pv_multicast_configure below). A batch can be reused for the next
 * stanza; it is not safe to share between threads. */
typedef struct pv_fanout pv_fanout_t;

/* Returns an empty batch (the caller frees it with pv_fanout_free), or NULL
 * when out of memory (logged). */
pv_fanout_t *pv_fanout_new(void);

/* Appends a recipient to the batch. The recipient is borrowed: it must
 * live until pv_fanout_send returned. Returns 0, or -1 when b or to is
 * NULL or out of memory (logged; the recipient is not in the batch). */
int pv_fanout_add(pv_fanout_t *b, const pv_recipient_t *to);

/* How many recipients the batch holds (0 for NULL). */
size_t pv_fanout_count(const pv_fanout_t *b);

/* Sends p to the batch's recipients, in the order they were added, and
 * empties the batch. stanza is the element p was prepared from (borrowed;
 * NULL: copies only). When multicast is on and a service is known, two
 * recipients or more get one <addresses/> stanza (type bcc, split at the
 * service's limit for a message, or for any other stanza its presence
 * limit) sent to the service instead of a copy each; a last single
 * recipient gets its copy. Returns how many recipients the stanza was
 * queued for (copies, or addresses in one stanza), or -1 when b or p is
 * NULL (logged; the batch is emptied). */
long pv_fanout_send(pv_fanout_t *b, const pv_el_t *stanza, const pv_prepared_t *p);

/* Frees a batch (not its recipients); NULL does nothing. */
void pv_fanout_free(pv_fanout_t *b);

/* Configures the XEP-0033 strategy of pv_fanout_send (off at start):
 * service NULL, "" or "off": off; "auto": once connected, the host (our
 * domain without its first label) is asked by disco#info, then each item
 * of its disco#items, and the first with the
 * http://jabber.org/protocol/address feature is used, with the limits of
 * its XEP-0128 form ("message", "presence"; else 20); any other value is
 * the service's JID. limit > 0 fixes the number of recipients per stanza,
 * whatever the service announces; 0: what it announces, else 20. When the
 * service bounces a stanza (type error from it) its recipients get a copy
 * each and the service is not used again until the next connection. The
 * core answers the discovery's results and the bounces itself (stanza
 * hooks at priority 1000). A call replaces the previous configuration;
 * "off" removes the hooks (call it at shutdown). Returns 0, or -1 when
 * service is not a JID (not logged: the caller reports it against its own
 * configuration) or the hooks cannot be registered (logged); multicast is
 * then off. */
int pv_multicast_configure(const char *service, long limit);

/* ---- Holding the connection back (ABI 1.3) ----
 * A plugin that must first learn whether this process may serve the domain
 * at all (a standby instance waiting for an active one's place) calls
 * pv_connect_hold() from its init: the core then does not connect to the
 * server until every hold was given back with pv_connect_release() (from
 * the event loop, at any later time). Holds taken once connected only
 * count for the next connection. Unbalanced releases are ignored. */
void pv_connect_hold(void);
void pv_connect_release(void);

/* ---- Holding output until a write is durable (ABI 1.3) ----
 * Durable before visible: a plugin whose stanzas (already sent with pv_send
 * and friends) must not reach the server before a storage write of its own
 * completed takes a hold after sending them and before starting the write:
 * nothing queued so far, nor anything queued later, is written to the
 * server until pv_output_release(token), called when the write completed
 * (or failed). Holds taken one after the other release what they held in
 * their order: output resumes up to the oldest hold still held. Returns 0
 * (nothing held; releasing 0 does nothing) when not connected: what is
 * queued then is lost anyway. A lost connection drops every hold. Keep
 * holds short (one storage round trip): all output waits behind them. */
uint64_t pv_output_hold(void);
void pv_output_release(uint64_t token);

/* Ownership of pv_stanza_ctx_t.err_extra (appended note): after a PV_ERROR
 * verdict the core copies err_extra into the <error/> it sends. When
 * err_extra is the root of its own tree (pv_el_new, pv_el_clone), the core
 * frees it once the handler returned, whatever the verdict; a node inside
 * another tree (e.g. the stanza's) is only copied, never freed. */

#ifdef __cplusplus
}
#endif
#endif
