/* cmd-config.c: `agora config`, the configuration as the programs see it. */
#include "common.h"

#include "cmd.h"

static const char config_usage[] =
	"usage: agora config [NAME...]\n"
	"\n"
	"Print the configuration as every agora program loads it (the\n"
	"environment, then the env file): NAME=value for each variable,\n"
	"JWT_SECRET, ADMIN_PASSWORD and a password in DATABASE_URL masked;\n"
	"with NAMEs, their values alone, one per line, as they are.\n";

/* The password of a URL's user:password@ part becomes "***". */
static void mask_url(const char *url, char *out, size_t len)
{
	const char *scheme = strstr(url, "://"), *at, *colon;

	at = scheme ? strchr(scheme + 3, '@') : NULL;
	colon = at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
	if (!colon) {
		snprintf(out, len, "%s", url);
		return;
	}
	snprintf(out, len, "%.*s***%s", (int)(colon + 1 - url), url, at);
}

static bool known(const char *name)
{
	const char *v;
	size_t i;

	for (i = 0; (v = cfg_var_name(i)); i++)
		if (!strcmp(v, name))
			return true;
	return false;
}

int cmd_config(int argc, char **argv)
{
	char val[4096], shown[4096];
	const char *name;
	struct cfg c;
	size_t i;
	int n;

	for (n = 1; n < argc; n++) {
		if (!strcmp(argv[n], "-h") || !strcmp(argv[n], "--help")) {
			fputs(config_usage, stdout);
			return 0;
		}
		if (!known(argv[n])) {
			fprintf(stderr, "agora: config: no variable '%s'\n\n%s",
				argv[n], config_usage);
			return 2;
		}
	}
	cfg_load_or_die(&c, 0, "agora");
	for (n = 1; n < argc; n++) {
		cfg_format(&c, argv[n], val, sizeof(val));
		printf("%s\n", val);
	}
	for (i = 0; argc == 1 && (name = cfg_var_name(i)); i++) {
		cfg_format(&c, name, val, sizeof(val));
		if (*val && (!strcmp(name, "JWT_SECRET") ||
			     !strcmp(name, "ADMIN_PASSWORD")))
			snprintf(shown, sizeof(shown), "***");
		else if (!strcmp(name, "DATABASE_URL"))
			mask_url(val, shown, sizeof(shown));
		else
			snprintf(shown, sizeof(shown), "%s", val);
		printf("%s=%s\n", name, shown);
	}
	cfg_release(&c);
	return 0;
}
