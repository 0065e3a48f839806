/* t-cfg.c: defaults, strict values, the env file, and who wins. */
#include "common.h"

#include <sys/wait.h>
#include <unistd.h>

#include "cfg.h"
#include "tap.h"

static const char *const names[] = {
	"DATABASE_URL",	      "REDIS_HOST",
	"REDIS_PORT",	      "CACHE_TTL",
	"ELASTICSEARCH_NODE", "KAFKA_BROKERS",
	"KAFKA_CLIENT_ID",    "JWT_SECRET",
	"JWT_EXPIRES_IN",     "PORT",
	"NOTIFY_WEBHOOK_URL", "ORDER_PAYMENT_TIMEOUT",
	"BODY_LIMIT",	      "DB_STATEMENT_TIMEOUT",
	"BCRYPT_COST",	      "ADMIN_EMAIL",
	"ADMIN_PASSWORD",     "LOG_LEVEL",
	"AGORA_ENV_FILE",     "ES_TIMEOUT_MS",
};

#define SECRET32 "0123456789abcdef0123456789abcdef"

static char envfile[64];

/* Everything unset but AGORA_ENV_FILE, which is set and empty: no env
 * file at all, not even an installed one on this machine. */
static void clear_env(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		unsetenv(names[i]);
	setenv("AGORA_ENV_FILE", "", 1);
}

static void write_file(const char *text)
{
	FILE *f = fopen(envfile, "w");

	if (!f || fputs(text, f) == EOF || fclose(f))
		die("cannot write %s", envfile);
	setenv("AGORA_ENV_FILE", envfile, 1);
}

/* Load with one variable set; return the message ("" on success). */
static const char *load_with(const char *name, const char *value,
			     unsigned flags)
{
	static char msg[256];
	struct err e = ERR_INIT;
	struct cfg c;

	clear_env();
	if (name)
		setenv(name, value, 1);
	msg[0] = '\0';
	if (cfg_load(&c, flags, &e) < 0)
		snprintf(msg, sizeof(msg), "%s", e.msg);
	else
		cfg_release(&c);
	if (e.code && e.code != ERR_BAD_REQUEST)
		snprintf(msg, sizeof(msg), "unexpected code %d", e.code);
	err_release(&e);
	return msg;
}

static void test_defaults(void)
{
	struct err e = ERR_INIT;
	struct cfg c;

	clear_env();
	is_int(cfg_load(&c, 0, &e), 0, "loads with nothing set");
	is_str(c.database_url, "file:./var/dev.db", "DATABASE_URL default");
	is_str(c.redis_host, "", "REDIS_HOST default");
	is_int(c.redis_port, 6379, "REDIS_PORT default");
	is_int(c.cache_ttl, 300, "CACHE_TTL default");
	is_str(c.elasticsearch_node, "", "ELASTICSEARCH_NODE default");
	is_str(c.kafka_brokers, "", "KAFKA_BROKERS default");
	is_str(c.kafka_client_id, "agora", "KAFKA_CLIENT_ID default");
	is_str(c.jwt_secret, "", "JWT_SECRET default");
	is_int(c.jwt_expires_in, 3600, "JWT_EXPIRES_IN default");
	is_int(c.port, 3000, "PORT default");
	is_str(c.notify_webhook_url, "", "NOTIFY_WEBHOOK_URL default");
	is_int(c.order_payment_timeout, 30, "ORDER_PAYMENT_TIMEOUT default");
	is_int((long long)c.body_limit, 1048576, "BODY_LIMIT default");
	is_int(c.db_statement_timeout, 5000, "DB_STATEMENT_TIMEOUT default");
	is_int(c.bcrypt_cost, 10, "BCRYPT_COST default");
	is_str(c.admin_email, "", "ADMIN_EMAIL default");
	is_str(c.admin_password, "", "ADMIN_PASSWORD default");
	is_str(c.log_level, "info", "LOG_LEVEL default");
	cfg_release(&c);
	ok(c.database_url == NULL, "release clears the struct");
	cfg_release(&c); /* twice is harmless */

	is_str(load_with("PORT", "", 0), "", "empty value means the default");
}

static void test_integers(void)
{
	static const struct {
		const char *name, *value;
		long min, max;
	} bad[] = {
		{ "CACHE_TTL", "abc", 1, 86400 },
		{ "CACHE_TTL", "-1", 1, 86400 },
		{ "CACHE_TTL", "+5", 1, 86400 },
		{ "CACHE_TTL", " 5", 1, 86400 },
		{ "CACHE_TTL", "5 ", 1, 86400 },
		{ "CACHE_TTL", "5s", 1, 86400 },
		{ "CACHE_TTL", "0x10", 1, 86400 },
		{ "CACHE_TTL", "0", 1, 86400 },
		{ "CACHE_TTL", "86401", 1, 86400 },
		{ "CACHE_TTL", "99999999999999999999999", 1, 86400 },
		{ "PORT", "0", 1, 65535 },
		{ "PORT", "65536", 1, 65535 },
		{ "REDIS_PORT", "70000", 1, 65535 },
		{ "JWT_EXPIRES_IN", "59", 60, 2592000 },
		{ "JWT_EXPIRES_IN", "2592001", 60, 2592000 },
		{ "BODY_LIMIT", "1023", 1024, 67108864 },
		{ "BODY_LIMIT", "67108865", 1024, 67108864 },
		{ "DB_STATEMENT_TIMEOUT", "99", 100, 600000 },
		{ "BCRYPT_COST", "3", 4, 31 },
		{ "BCRYPT_COST", "32", 4, 31 },
		{ "ORDER_PAYMENT_TIMEOUT", "0", 1, 10080 },
		{ "ORDER_PAYMENT_TIMEOUT", "10081", 1, 10080 },
	};
	struct err e = ERR_INIT;
	struct cfg c;
	char want[128];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(want, sizeof(want),
			 "%s must be an integer between %ld and %ld",
			 bad[i].name, bad[i].min, bad[i].max);
		is_str(load_with(bad[i].name, bad[i].value, 0), want,
		       "%s=\"%s\" refused", bad[i].name, bad[i].value);
	}
	is_str(load_with("CACHE_TTL", "0", 0),
	       "CACHE_TTL must be an integer between 1 and 86400",
	       "the message, word for word");

	clear_env();
	setenv("CACHE_TTL", "86400", 1);
	setenv("PORT", "65535", 1);
	setenv("REDIS_PORT", "1", 1);
	setenv("JWT_EXPIRES_IN", "2592000", 1);
	setenv("BODY_LIMIT", "67108864", 1);
	setenv("DB_STATEMENT_TIMEOUT", "600000", 1);
	setenv("BCRYPT_COST", "04", 1);
	setenv("ORDER_PAYMENT_TIMEOUT", "10080", 1);
	is_int(cfg_load(&c, 0, &e), 0, "every bound itself is accepted");
	is_int(c.cache_ttl, 86400, "CACHE_TTL");
	is_int(c.port, 65535, "PORT");
	is_int(c.redis_port, 1, "REDIS_PORT");
	is_int(c.jwt_expires_in, 2592000, "JWT_EXPIRES_IN");
	is_int((long long)c.body_limit, 67108864, "BODY_LIMIT");
	is_int(c.db_statement_timeout, 600000, "DB_STATEMENT_TIMEOUT");
	is_int(c.bcrypt_cost, 4, "BCRYPT_COST with a leading zero");
	is_int(c.order_payment_timeout, 10080, "ORDER_PAYMENT_TIMEOUT");
	cfg_release(&c);
	err_release(&e);
}

static void test_strings(void)
{
	const char *db =
		"DATABASE_URL must be a postgresql:// URL or a file: path";

	is_str(load_with("DATABASE_URL", "mysql://h/db", 0), db,
	       "mysql refused");
	is_str(load_with("DATABASE_URL", "./var/dev.sqlite", 0), db,
	       "a path not ending in .db refused");
	is_str(load_with("DATABASE_URL", "postgresql://u:p@h:5432/agora", 0),
	       "", "postgresql:// accepted");
	is_str(load_with("DATABASE_URL", "postgres://h/agora", 0), "",
	       "postgres:// accepted");
	is_str(load_with("DATABASE_URL", "file:/tmp/x.db", 0), "",
	       "file: accepted");
	is_str(load_with("DATABASE_URL", "/var/lib/agora/agora.db", 0), "",
	       "a .db path accepted");

	is_str(load_with("ELASTICSEARCH_NODE", "localhost:9200", 0),
	       "ELASTICSEARCH_NODE must be an http:// or https:// URL",
	       "ES without scheme refused");
	is_str(load_with("ELASTICSEARCH_NODE", "https://es:9200", 0), "",
	       "ES https accepted");
	is_str(load_with("NOTIFY_WEBHOOK_URL", "ftp://hook", 0),
	       "NOTIFY_WEBHOOK_URL must be an http:// or https:// URL",
	       "webhook ftp refused");
	is_str(load_with("NOTIFY_WEBHOOK_URL", "http://hook/x", 0), "",
	       "webhook http accepted");

	is_str(load_with("LOG_LEVEL", "verbose", 0),
	       "LOG_LEVEL must be one of debug, info, warn, error",
	       "unknown log level refused");
	is_str(load_with("LOG_LEVEL", "INFO", 0),
	       "LOG_LEVEL must be one of debug, info, warn, error",
	       "log level is case-sensitive");
	is_str(load_with("LOG_LEVEL", "warn", 0), "", "warn accepted");

	is_str(load_with("JWT_SECRET", "short", 0),
	       "JWT_SECRET must be at least 32 bytes", "short secret refused");
	is_str(load_with("JWT_SECRET", SECRET32 + 1, CFG_NEED_JWT),
	       "JWT_SECRET must be at least 32 bytes", "31 bytes refused");
	is_str(load_with("JWT_SECRET", SECRET32, CFG_NEED_JWT), "",
	       "32 bytes accepted");
	is_str(load_with(NULL, NULL, CFG_NEED_JWT), "JWT_SECRET is not set",
	       "required secret missing");
	is_str(load_with("JWT_SECRET", "", CFG_NEED_JWT),
	       "JWT_SECRET is not set", "required secret empty");
	is_str(load_with(NULL, NULL, 0), "", "secret not needed, not set: ok");
}

static void test_file(void)
{
	struct err e = ERR_INIT;
	struct cfg c;
	char want[256];

	clear_env();
	write_file("# agora settings\n"
		   "\n"
		   "   # indented comment\n"
		   "DATABASE_URL=postgresql://agora@db/agora\n"
		   "export REDIS_HOST=cache\n"
		   "REDIS_PORT=6380   \n"
		   "KAFKA_CLIENT_ID=\"agora one\"  # trailing comment\n"
		   "JWT_SECRET='" SECRET32 "#x'\n"
		   "ADMIN_PASSWORD=p#ss word\n"
		   "ADMIN_EMAIL=\"\"\n"
		   "CACHE_TTL=10\r\n"
		   "PORT=1\n"
		   "PORT=4000\n");
	setenv("CACHE_TTL", "20", 1);
	is_int(cfg_load(&c, CFG_NEED_JWT, &e), 0, "env file loads (%s)", e.msg);
	is_str(c.database_url, "postgresql://agora@db/agora", "plain value");
	is_str(c.redis_host, "cache", "export prefix");
	is_int(c.redis_port, 6380, "trailing blanks dropped");
	is_str(c.kafka_client_id, "agora one", "double quotes, comment after");
	is_str(c.jwt_secret, SECRET32 "#x", "single quotes keep '#'");
	is_str(c.admin_password, "p#ss word", "unquoted value is literal");
	is_str(c.admin_email, "", "empty quotes");
	is_int(c.cache_ttl, 20, "the environment wins over the file");
	is_int(c.port, 4000, "the last line for a name wins");
	cfg_release(&c);
	err_release(&e);

	clear_env();
	write_file("# comment\nPORT=3001\nFOO=bar\n");
	is_int(cfg_load(&c, 0, &e), -1, "unknown variable");
	snprintf(want, sizeof(want), "%s:3: unknown variable FOO", envfile);
	is_str(e.msg, want, "message names file, line and variable");
	is_int(e.code, ERR_BAD_REQUEST, "as a 400-class error");
	err_release(&e);

	write_file("PORT=3001\nCACHE_TTL=soon\n");
	is_int(cfg_load(&c, 0, &e), -1, "bad value in the file");
	snprintf(want, sizeof(want),
		 "%s:2: CACHE_TTL must be an integer between 1 and 86400",
		 envfile);
	is_str(e.msg, want, "bad value names its line");
	err_release(&e);

	/* An empty environment variable does not hide the file's value. */
	setenv("CACHE_TTL", "", 1);
	is_int(cfg_load(&c, 0, &e), -1,
	       "empty variable falls back to the file");
	err_release(&e);

	/* The environment replaces a bad file value before it is checked. */
	setenv("CACHE_TTL", "5", 1);
	is_int(cfg_load(&c, 0, &e), 0,
	       "environment overrides a bad file value");
	cfg_release(&c);
	err_release(&e);

	clear_env();
	write_file("KAFKA_CLIENT_ID=\"open\n");
	is_int(cfg_load(&c, 0, &e), -1, "unterminated quote");
	err_release(&e);
	write_file("KAFKA_CLIENT_ID=\"a\"b\n");
	is_int(cfg_load(&c, 0, &e), -1, "text after closing quote");
	err_release(&e);
	write_file("just words\n");
	is_int(cfg_load(&c, 0, &e), -1, "line without '='");
	err_release(&e);
	write_file("PORT = 3000\n");
	is_int(cfg_load(&c, 0, &e), -1, "blanks around '=' are not NAME=value");
	err_release(&e);
	write_file("AGORA_ENV_FILE=/etc/other\n");
	is_int(cfg_load(&c, 0, &e), -1,
	       "AGORA_ENV_FILE is not a file variable");
	err_release(&e);

	unlink(envfile);
	is_int(cfg_load(&c, 0, &e), -1, "missing env file is an error");
	ok(strstr(e.msg, "AGORA_ENV_FILE") && strstr(e.msg, envfile),
	   "message names the file: %s", e.msg);
	err_release(&e);
}

/* AGORA_ENV_FILE unset: the installed file, when there is one. */
static void test_default_file(void)
{
	struct err e = ERR_INIT;
	char path[128];
	struct cfg c;

	ok(!strcmp(CFG_ENV_FILE + strlen(CFG_ENV_FILE) -
			   strlen("/agora/agora.env"),
		   "/agora/agora.env") &&
		   !strncmp(CFG_ENV_FILE, SYSCONFDIR, strlen(SYSCONFDIR)),
	   "the default env file is under sysconfdir: %s", CFG_ENV_FILE);
	write_file("DATABASE_URL=file:/srv/agora.db\nPORT=4000\n");
	clear_env();
	unsetenv("AGORA_ENV_FILE");
	setenv("PORT", "5000", 1);
	is_int(cfg_load_with(&c, 0, envfile, &e), 0, "the default file loads");
	is_str(c.database_url, "file:/srv/agora.db",
	       "AGORA_ENV_FILE unset: the default file is read");
	is_int(c.port, 5000, "... and the environment still wins");
	cfg_release(&c);

	setenv("AGORA_ENV_FILE", "", 1);
	is_int(cfg_load_with(&c, 0, envfile, &e), 0, "set and empty loads");
	is_str(c.database_url, "file:./var/dev.db",
	       "AGORA_ENV_FILE set and empty: no file is read");
	cfg_release(&c);

	unsetenv("AGORA_ENV_FILE");
	is_int(cfg_load_with(&c, 0, "/nonexistent/agora/agora.env", &e), 0,
	       "a default file that does not exist is no error");
	is_str(c.database_url, "file:./var/dev.db", "... the defaults hold");
	cfg_release(&c);

	/* ENOTDIR rather than a mode of 0, which root reads anyway. */
	snprintf(path, sizeof(path), "%s/agora.env", envfile);
	is_int(cfg_load_with(&c, 0, path, &e), -1,
	       "a default file that is there but cannot be opened is an error");
	ok(strstr(e.msg, path) != NULL, "naming it: %s", e.msg);
	err_release(&e);
	clear_env();
}

/* cfg_format and cfg_var_name: what `agora config` prints. */
static void test_format(void)
{
	struct err e = ERR_INIT;
	char buf[64];
	struct cfg c;
	size_t i, n;

	clear_env();
	setenv("PORT", "8080", 1);
	setenv("REDIS_HOST", "cache.internal", 1);
	is_int(cfg_load(&c, 0, &e), 0, "loads");
	is_int(cfg_format(&c, "PORT", buf, sizeof(buf)), 0, "PORT formats");
	is_str(buf, "8080", "an int as text");
	cfg_format(&c, "REDIS_HOST", buf, sizeof(buf));
	is_str(buf, "cache.internal", "a string as it is");
	cfg_format(&c, "BODY_LIMIT", buf, sizeof(buf));
	is_str(buf, "1048576", "a size as text");
	is_int(cfg_format(&c, "NOPE", buf, sizeof(buf)), -1,
	       "an unknown name is -1");
	for (i = 0, n = 0; cfg_var_name(i); i++)
		n += cfg_format(&c, cfg_var_name(i), buf, sizeof(buf)) == 0 &&
		     strcmp(cfg_var_name(i), "AGORA_ENV_FILE");
	ok(i > 10 && n == i,
	   "cfg_var_name lists %zu variables, each formats, not "
	   "AGORA_ENV_FILE",
	   i);
	cfg_release(&c);
	clear_env();
}

static void test_or_die(void)
{
	int fds[2], status = 0;
	char buf[256] = "";
	size_t len = 0;
	ssize_t n;
	pid_t pid;
	struct cfg c;

	clear_env();
	setenv("PORT", "http", 1);
	if (pipe(fds))
		die("pipe");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		cfg_load_or_die(&c, 0, "agora-test");
		_exit(0);
	}
	close(fds[1]);
	while (len < sizeof(buf) - 1 &&
	       (n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 1, "exit status 1");
	is_str(buf, "agora-test: PORT must be an integer between 1 and 65535\n",
	       "one line naming the program and the variable");

	setenv("PORT", "8080", 1);
	cfg_load_or_die(&c, 0, "agora-test");
	is_int(c.port, 8080, "good configuration returns");
	cfg_release(&c);
}

/* ES_TIMEOUT_MS: the per-call bound on Elasticsearch requests. */
static void test_es_timeout(void)
{
	struct err e = ERR_INIT;
	struct cfg c;

	clear_env();
	is_int(cfg_load(&c, 0, &e), 0, "ES_TIMEOUT_MS: load the defaults");
	is_int(c.es_timeout_ms, 2000, "ES_TIMEOUT_MS default");
	cfg_release(&c);
	is_str(load_with("ES_TIMEOUT_MS", "99", 0),
	       "ES_TIMEOUT_MS must be an integer between 100 and 600000",
	       "ES_TIMEOUT_MS below its range refused");
	is_str(load_with("ES_TIMEOUT_MS", "1s", 0),
	       "ES_TIMEOUT_MS must be an integer between 100 and 600000",
	       "ES_TIMEOUT_MS with a unit refused");
	clear_env();
	setenv("ES_TIMEOUT_MS", "750", 1);
	is_int(cfg_load(&c, 0, &e), 0, "ES_TIMEOUT_MS=750 accepted");
	is_int(c.es_timeout_ms, 750, "ES_TIMEOUT_MS set");
	cfg_release(&c);
	err_release(&e);
	clear_env();
}

int main(void)
{
	int fd;

	snprintf(envfile, sizeof(envfile), "/tmp/agora-t-cfg-XXXXXX");
	fd = mkstemp(envfile);
	if (fd < 0)
		die("mkstemp");
	close(fd);
	test_defaults();
	test_integers();
	test_strings();
	test_file();
	test_default_file();
	test_format();
	test_or_die();
	test_es_timeout();
	unlink(envfile);
	clear_env();
	return done_testing();
}
