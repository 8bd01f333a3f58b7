/*
 * tools/migrate/pickle.h: the value of a simple Python 2 protocol-0 pickle
 * (as Palaver 0.6 stored room attributes).
 */
#ifndef PV_MIGRATE_PICKLE_H
#define PV_MIGRATE_PICKLE_H

/* The value as UTF-8 text (booleans "1"/"0", numbers in decimal), malloc'd
 * (caller frees); NULL with *why (static text) when it cannot be read. */
char *pickle_value(const char *pickle, const char **why);

#endif
