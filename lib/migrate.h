/* migrate.h: apply the embedded SQL migrations in order, once each. */
#ifndef AGORA_MIGRATE_H
#define AGORA_MIGRATE_H

#include "db.h"
#include "err.h"

/* One migration, embedded at build time from db/<dialect>/NNNN_name.sql. */
struct migration {
	const char *version; /* "0001_users" */
	const char *sql;
};

/* The generated tables (lib/migrations.c), sorted by version and ending
 * with a { NULL, NULL } row. */
extern const struct migration migrations_postgres[];
extern const struct migration migrations_sqlite[];

/*
 * migrate_run: create schema_migrations if needed and apply, each in its
 * own transaction, every migration of the database's dialect that is not
 * recorded there yet. On PostgreSQL an advisory lock serializes concurrent
 * runs. *applied (may be NULL) receives how many were applied now.
 * Idempotent: a second run applies nothing.
 */
int migrate_run(struct db *db, int *applied, struct err *e);

/*
 * migrate_pending: how many of the embedded migrations the database has
 * not recorded (all of them when schema_migrations does not exist yet).
 * Returns the count, or -1 with e set when the database cannot answer
 * (ERR_UNAVAILABLE and the like).
 */
int migrate_pending(struct db *db, struct err *e);

#endif
