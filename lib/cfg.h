/* cfg.h: configuration from the environment and an optional env file. */
#ifndef AGORA_CFG_H
#define AGORA_CFG_H

#include <stddef.h>

#include "err.h"

/*
 * Names and defaults: docs/operations.md, "Configuration".
 * Strings are owned by the struct (cfg_release) and are never NULL: an
 * unset optional string is "".
 */
struct cfg {
	char *database_url; /* DATABASE_URL, default file:./var/dev.db */
	char *redis_host; /* REDIS_HOST, "" = in-memory cache */
	int redis_port; /* REDIS_PORT, 6379 */
	int cache_ttl; /* CACHE_TTL seconds, 300 */
	char *elasticsearch_node; /* ELASTICSEARCH_NODE, "" = database FTS */
	char *kafka_brokers; /* KAFKA_BROKERS, "" = outbox table */
	char *kafka_client_id; /* KAFKA_CLIENT_ID, "agora" */
	char *jwt_secret; /* JWT_SECRET, ≥ 32 bytes when required */
	long jwt_expires_in; /* JWT_EXPIRES_IN seconds, 3600 */
	int port; /* PORT, 3000 */
	char *notify_webhook_url; /* NOTIFY_WEBHOOK_URL, "" */
	int order_payment_timeout; /* ORDER_PAYMENT_TIMEOUT minutes, 30 */
	size_t body_limit; /* BODY_LIMIT bytes, 1 MiB */
	int db_statement_timeout; /* DB_STATEMENT_TIMEOUT ms, 5000 */
	int bcrypt_cost; /* BCRYPT_COST 4..31, 10 */
	char *admin_email; /* ADMIN_EMAIL, "" */
	char *admin_password; /* ADMIN_PASSWORD, "" */
	char *log_level; /* LOG_LEVEL debug|info|warn|error, info */
	int es_timeout_ms; /* ES_TIMEOUT_MS per call, 2000 */
	char *cors_origins; /* CORS_ORIGINS, "" = CORS off */
	char *swagger_ui_dir; /* SWAGGER_UI_DIR, swagger-ui-dist */
	long login_window; /* LOGIN_THROTTLE_WINDOW s, 900 */
	long login_limit_account; /* LOGIN_THROTTLE_ACCOUNT, 10 */
	long login_limit_address; /* LOGIN_THROTTLE_ADDRESS, 50 */
	char *metrics_file; /* METRICS_FILE, "" = metrics.h default */
};

#define CFG_NEED_JWT 0x1 /* JWT_SECRET must be set (and ≥ 32 bytes) */

/* The env file read when AGORA_ENV_FILE is unset: configure's sysconfdir. */
#define CFG_ENV_FILE SYSCONFDIR "/agora/agora.env"

/*
 * cfg_load: defaults, then the env file, then the environment, which
 * wins. The env file is the one AGORA_ENV_FILE names; when that is
 * unset, CFG_ENV_FILE if it exists; when it is set and empty, none. The
 * file holds lines of NAME=value, '#' comments, optional single or double
 * quotes; a name that is not a known variable is an error. An empty value
 * counts as unset. Every value is checked (integers strictly, within
 * range).
 * Returns 0, or -1 with ERR_BAD_REQUEST and a one-line message naming the
 * variable, e.g. "CACHE_TTL must be an integer between 1 and 86400", or
 * the file that cannot be read.
 */
int cfg_load(struct cfg *c, unsigned flags, struct err *e);
/* cfg_load_with: cfg_load() with deffile in place of CFG_ENV_FILE. */
int cfg_load_with(struct cfg *c, unsigned flags, const char *deffile,
		  struct err *e);
/* cfg_load_or_die: cfg_load(), or print "<prog>: <message>" and exit(1). */
void cfg_load_or_die(struct cfg *c, unsigned flags, const char *prog);
void cfg_release(struct cfg *c);

/* cfg_var_name: the name of the i-th variable, NULL past the last. */
const char *cfg_var_name(size_t i);
/* cfg_format: the value of the variable name in c as text, into buf
 * (cut at len); -1 when name is no variable. */
int cfg_format(const struct cfg *c, const char *name, char *buf, size_t len);

#endif
