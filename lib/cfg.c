/* cfg.c: configuration: defaults, then an env file, then the environment. */
#include "common.h"

#include "cfg.h"

enum cfg_kind { CFG_STR, CFG_INT, CFG_LONG, CFG_SIZE };

struct cfg_var {
	const char *name;
	enum cfg_kind kind;
	size_t off;
	const char *def; /* default, written as in the file */
	long min, max; /* integers only */
	/* strings only: run on a non-empty value, returns why it is bad */
	const char *(*check)(const char *v);
};

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static const char *check_database_url(const char *v)
{
	size_t n = strlen(v);

	if (starts_with(v, "postgresql://") || starts_with(v, "postgres://") ||
	    starts_with(v, "file:") || (n > 3 && !strcmp(v + n - 3, ".db")))
		return NULL;
	return "must be a postgresql:// URL or a file: path";
}

static const char *check_http_url(const char *v)
{
	if (starts_with(v, "http://") || starts_with(v, "https://"))
		return NULL;
	return "must be an http:// or https:// URL";
}

static const char *check_jwt_secret(const char *v)
{
	return strlen(v) >= 32 ? NULL : "must be at least 32 bytes";
}

static const char *check_log_level(const char *v)
{
	if (!strcmp(v, "debug") || !strcmp(v, "info") || !strcmp(v, "warn") ||
	    !strcmp(v, "error"))
		return NULL;
	return "must be one of debug, info, warn, error";
}

/* "*", or origins as a browser sends them (scheme://host[:port]),
 * comma-separated. */
static const char *check_cors_origins(const char *v)
{
	const char *p = v;

	if (!strcmp(v, "*"))
		return NULL;
	while (*p) {
		while (*p == ' ')
			p++;
		if (!starts_with(p, "http://") && !starts_with(p, "https://"))
			return "must be * or a comma-separated list of "
			       "http(s)://host[:port] origins";
		p += strcspn(p, ",");
		if (p[-1] == '/')
			return "must list origins without a path "
			       "(no trailing /)";
		if (*p)
			p++;
	}
	return NULL;
}

static const char *check_abs_path(const char *v)
{
	return v[0] == '/' ? NULL : "must be an absolute path";
}

#define STR(name, field, def, check)                                         \
	{                                                                    \
		name, CFG_STR, offsetof(struct cfg, field), def, 0, 0, check \
	}
#define NUM(name, kind, field, def, min, max)                                \
	{                                                                    \
		name, kind, offsetof(struct cfg, field), def, min, max, NULL \
	}

static const struct cfg_var cfg_vars[] = {
	STR("DATABASE_URL", database_url, "file:./var/dev.db",
	    check_database_url),
	STR("REDIS_HOST", redis_host, "", NULL),
	NUM("REDIS_PORT", CFG_INT, redis_port, "6379", 1, 65535),
	NUM("CACHE_TTL", CFG_INT, cache_ttl, "300", 1, 86400),
	STR("ELASTICSEARCH_NODE", elasticsearch_node, "", check_http_url),
	STR("KAFKA_BROKERS", kafka_brokers, "", NULL),
	STR("KAFKA_CLIENT_ID", kafka_client_id, "agora", NULL),
	STR("JWT_SECRET", jwt_secret, "", check_jwt_secret),
	NUM("JWT_EXPIRES_IN", CFG_LONG, jwt_expires_in, "3600", 60, 2592000),
	NUM("PORT", CFG_INT, port, "3000", 1, 65535),
	STR("NOTIFY_WEBHOOK_URL", notify_webhook_url, "", check_http_url),
	NUM("ORDER_PAYMENT_TIMEOUT", CFG_INT, order_payment_timeout, "30", 1,
	    10080),
	NUM("BODY_LIMIT", CFG_SIZE, body_limit, "1048576", 1024, 67108864),
	NUM("DB_STATEMENT_TIMEOUT", CFG_INT, db_statement_timeout, "5000", 100,
	    600000),
	NUM("BCRYPT_COST", CFG_INT, bcrypt_cost, "10", 4, 31),
	STR("ADMIN_EMAIL", admin_email, "", NULL),
	STR("ADMIN_PASSWORD", admin_password, "", NULL),
	STR("LOG_LEVEL", log_level, "info", check_log_level),
	NUM("ES_TIMEOUT_MS", CFG_INT, es_timeout_ms, "2000", 100, 600000),
	STR("CORS_ORIGINS", cors_origins, "", check_cors_origins),
	STR("SWAGGER_UI_DIR", swagger_ui_dir, PKGDATADIR "/swagger-ui", NULL),
	NUM("LOGIN_THROTTLE_WINDOW", CFG_LONG, login_window, "900", 1, 86400),
	NUM("LOGIN_THROTTLE_ACCOUNT", CFG_LONG, login_limit_account, "10", 1,
	    1000000),
	NUM("LOGIN_THROTTLE_ADDRESS", CFG_LONG, login_limit_address, "50", 1,
	    1000000),
	STR("METRICS_FILE", metrics_file, "", check_abs_path),
};

#define CFG_NVARS ARRAY_SIZE(cfg_vars)

/* Where a value came from, so a bad one in the file names its line. */
struct cfg_src {
	char *val[CFG_NVARS]; /* NULL = not in the file */
	unsigned line[CFG_NVARS];
	const char *path;
	bool optional; /* the default file: may be absent */
};

static const struct cfg_var *cfg_find(const char *name, size_t len, size_t *idx)
{
	size_t i;

	for (i = 0; i < CFG_NVARS; i++)
		if (strlen(cfg_vars[i].name) == len &&
		    !memcmp(cfg_vars[i].name, name, len)) {
			*idx = i;
			return &cfg_vars[i];
		}
	return NULL;
}

static bool is_blank(int ch)
{
	return ch == ' ' || ch == '\t';
}

static bool is_name_char(int ch, bool first)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	       ch == '_' || (!first && ch >= '0' && ch <= '9');
}

/*
 * One line of the env file: NAME=value, an optional "export " prefix, the
 * value optionally in single or double quotes, taken literally either way
 * (no escapes, no expansion); after a closing quote only blanks or a
 * '#' comment may follow. An unquoted value is everything after '=' up to
 * trailing blanks, '#' included, so a secret may contain one.
 */
static int cfg_parse_line(struct cfg_src *src, char *p, unsigned lineno,
			  struct err *e)
{
	const char *name, *val;
	size_t nlen, vlen, idx;
	char *end, q;

	while (is_blank(*p))
		p++;
	if (!*p || *p == '#')
		return 0;
	if (starts_with(p, "export") && is_blank(p[6]))
		for (p += 6; is_blank(*p); p++)
			;
	name = p;
	while (is_name_char(*p, p == name))
		p++;
	nlen = (size_t)(p - name);
	if (!nlen || *p != '=')
		return err_set(e, ERR_BAD_REQUEST, "%s:%u: expected NAME=value",
			       src->path, lineno);
	if (!cfg_find(name, nlen, &idx))
		return err_set(e, ERR_BAD_REQUEST,
			       "%s:%u: unknown variable %.*s", src->path,
			       lineno, (int)nlen, name);
	p++;
	if (*p == '"' || *p == '\'') {
		q = *p++;
		end = strchr(p, q);
		if (!end)
			return err_set(e, ERR_BAD_REQUEST,
				       "%s:%u: unterminated quote in %s",
				       src->path, lineno, cfg_vars[idx].name);
		val = p;
		vlen = (size_t)(end - p);
		for (p = end + 1; is_blank(*p); p++)
			;
		if (*p && *p != '#')
			return err_set(e, ERR_BAD_REQUEST,
				       "%s:%u: text after the quoted value "
				       "of %s",
				       src->path, lineno, cfg_vars[idx].name);
	} else {
		val = p;
		vlen = strlen(p);
		while (vlen && is_blank(val[vlen - 1]))
			vlen--;
	}
	free(src->val[idx]);
	src->val[idx] = xmemdupz(val, vlen);
	src->line[idx] = lineno;
	return 0;
}

static int cfg_read_file(struct cfg_src *src, struct err *e)
{
	FILE *f = fopen(src->path, "r");
	char *line = NULL;
	size_t alloc = 0;
	ssize_t n;
	unsigned lineno = 0;
	int ret = 0;

	if (!f && src->optional && errno == ENOENT)
		return 0;
	if (!f)
		return err_set(e, ERR_BAD_REQUEST,
			       "AGORA_ENV_FILE: cannot open %s: %s", src->path,
			       strerror(errno));
	while (!ret && (n = getline(&line, &alloc, f)) >= 0) {
		lineno++;
		if ((size_t)n != strlen(line)) {
			ret = err_set(e, ERR_BAD_REQUEST, "%s:%u: NUL byte",
				      src->path, lineno);
			break;
		}
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		ret = cfg_parse_line(src, line, lineno, e);
	}
	if (!ret && ferror(f))
		ret = err_set(e, ERR_BAD_REQUEST,
			      "AGORA_ENV_FILE: cannot read %s", src->path);
	free(line);
	fclose(f);
	return ret;
}

/* Digits only, no sign or blanks, within [min, max]. */
static bool cfg_parse_num(const char *s, long min, long max, long *out)
{
	long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (max - (*s - '0')) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	if (v < min)
		return false;
	*out = v;
	return true;
}

/* Store one value (known to be set) into its field, or fail naming it. */
static int cfg_set(struct cfg *c, const struct cfg_var *v, const char *val,
		   const char *where, struct err *e)
{
	char *field = (char *)c + v->off;
	const char *why;
	long n;

	if (v->kind == CFG_STR) {
		if (*val && v->check && (why = v->check(val)))
			return err_set(e, ERR_BAD_REQUEST, "%s%s %s", where,
				       v->name, why);
		free(*(char **)field);
		*(char **)field = xstrdup(val);
		return 0;
	}
	if (!cfg_parse_num(val, v->min, v->max, &n))
		return err_set(e, ERR_BAD_REQUEST,
			       "%s%s must be an integer between %ld and %ld",
			       where, v->name, v->min, v->max);
	switch (v->kind) {
	case CFG_INT:
		*(int *)field = (int)n;
		break;
	case CFG_LONG:
		*(long *)field = n;
		break;
	case CFG_SIZE:
		*(size_t *)field = (size_t)n;
		break;
	case CFG_STR:
		break;
	}
	return 0;
}

/*
 * An empty value counts as unset, so a compose file may pass
 * "PORT=${PORT:-}" through: an empty environment variable falls back to
 * the file, an empty file value to the default ("" for optional strings).
 */
static int cfg_apply(struct cfg *c, struct cfg_src *src, struct err *e)
{
	const struct cfg_var *v;
	const char *val;
	char where[256];
	size_t i;

	for (i = 0; i < CFG_NVARS; i++) {
		v = &cfg_vars[i];
		where[0] = '\0';
		val = getenv(v->name);
		if ((!val || !*val) && src->val[i]) {
			val = src->val[i];
			snprintf(where, sizeof(where), "%s:%u: ", src->path,
				 src->line[i]);
		}
		if (!val || !*val) {
			val = v->def;
			where[0] = '\0';
		}
		if (cfg_set(c, v, val, where, e) < 0)
			return -1;
	}
	return 0;
}

int cfg_load(struct cfg *c, unsigned flags, struct err *e)
{
	return cfg_load_with(c, flags, CFG_ENV_FILE, e);
}

int cfg_load_with(struct cfg *c, unsigned flags, const char *deffile,
		  struct err *e)
{
	struct cfg_src src;
	size_t i;
	int ret = -1;

	memset(c, 0, sizeof(*c));
	memset(&src, 0, sizeof(src));
	/*
	 * An installed program finds its configuration without being told
	 * where (the CLI run by hand on the host, above all); a file that
	 * is there but cannot be read is an error, never a silent fallback
	 * to the defaults and ./var/dev.db. Set and empty: no file at all.
	 */
	src.path = getenv("AGORA_ENV_FILE");
	if (!src.path) {
		src.path = deffile;
		src.optional = true;
	}
	if (src.path && *src.path && cfg_read_file(&src, e) < 0)
		goto out;
	if (cfg_apply(c, &src, e) < 0)
		goto out;
	if ((flags & CFG_NEED_JWT) && !*c->jwt_secret) {
		err_set(e, ERR_BAD_REQUEST, "JWT_SECRET is not set");
		goto out;
	}
	ret = 0;
out:
	for (i = 0; i < CFG_NVARS; i++)
		free(src.val[i]);
	if (ret < 0)
		cfg_release(c);
	return ret;
}

void cfg_load_or_die(struct cfg *c, unsigned flags, const char *prog)
{
	struct err e = ERR_INIT;

	if (cfg_load(c, flags, &e) < 0)
		die("%s: %s", prog, e.msg);
}

const char *cfg_var_name(size_t i)
{
	return i < CFG_NVARS ? cfg_vars[i].name : NULL;
}

int cfg_format(const struct cfg *c, const char *name, char *buf, size_t len)
{
	const struct cfg_var *v;
	const char *field;
	size_t i;

	if (!(v = cfg_find(name, strlen(name), &i)))
		return -1;
	field = (const char *)c + v->off;
	switch (v->kind) {
	case CFG_STR:
		snprintf(buf, len, "%s", *(char *const *)field);
		break;
	case CFG_INT:
		snprintf(buf, len, "%d", *(const int *)field);
		break;
	case CFG_LONG:
		snprintf(buf, len, "%ld", *(const long *)field);
		break;
	case CFG_SIZE:
		snprintf(buf, len, "%zu", *(const size_t *)field);
		break;
	}
	return 0;
}

void cfg_release(struct cfg *c)
{
	size_t i;

	for (i = 0; i < CFG_NVARS; i++)
		if (cfg_vars[i].kind == CFG_STR)
			free(*(char **)((char *)c + cfg_vars[i].off));
	memset(c, 0, sizeof(*c));
}
