/* docs.c: the API's description: docs/openapi.json and its Swagger UI. */
#include "common.h"

#include <errno.h>
#include <unistd.h>

#include "app.h"
#include "log.h"

/* docs/openapi.json, built into the program (cgi-bin/openapi-doc.c), so
 * the document served is always the one the program was built with. */
extern const char docs_openapi[];
extern const size_t docs_openapi_len;

/* GET /api/docs-json: the document, as NestJS's SwaggerModule serves it. */
static int docs_json(struct req *r)
{
	return req_bytes(r, 200, "application/json; charset=utf-8",
			 docs_openapi, docs_openapi_len);
}

/*
 * The files of swagger-ui-dist the page loads, from SWAGGER_UI_DIR; only
 * these are served, whatever else the directory holds.
 */
static const struct docs_asset {
	const char *name;
	const char *type;
} docs_assets[] = {
	{ "swagger-ui.css", "text/css; charset=utf-8" },
	{ "swagger-ui-bundle.js", "text/javascript; charset=utf-8" },
	{ "favicon-32x32.png", "image/png" },
	{ "favicon-16x16.png", "image/png" },
};

static int docs_missing(struct req *r, const char *path)
{
	log_msg(LOG_WARN, r->reqid, "docs: %s: %s", path, strerror(errno));
	return err_set(&r->err, ERR_NOT_FOUND,
		       "Swagger UI is not installed (swagger-ui-dist)");
}

/* docs_read: DIR/name into sb; -1 with a 404 when it cannot be read. */
static int docs_read(struct req *r, const char *name, struct sbuf *sb)
{
	char *path = xasprintf("%s/%s", app_of(r)->cfg.swagger_ui_dir, name);
	char buf[65536];
	size_t n;
	FILE *f;
	int ret = -1;

	f = fopen(path, "rb");
	if (!f) {
		docs_missing(r, path);
		goto out;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sbuf_add(sb, buf, n);
	if (ferror(f)) {
		err_set(&r->err, ERR_INTERNAL, "docs: reading %s failed", path);
		goto out;
	}
	ret = 0;
out:
	if (f)
		fclose(f);
	free(path);
	return ret;
}

/* GET /api/docs/:file: one of docs_assets. */
static int docs_asset(struct req *r)
{
	const char *name = req_param(r, "file");
	struct sbuf sb;
	size_t i;
	int ret = -1;

	for (i = 0; i < ARRAY_SIZE(docs_assets); i++)
		if (!strcmp(name, docs_assets[i].name))
			break;
	if (i == ARRAY_SIZE(docs_assets))
		return err_set(&r->err, ERR_NOT_FOUND, "Cannot GET %s",
			       r->path);
	sbuf_init(&sb, 0, 0);
	if (docs_read(r, name, &sb) < 0)
		goto out;
	req_header(r, "Cache-Control", "public, max-age=3600");
	ret = req_bytes(r, 200, docs_assets[i].type, sb.buf, sb.len);
out:
	sbuf_release(&sb);
	return ret;
}

/*
 * GET /api/docs: the Swagger UI page. It is answered only when the
 * bundle is there to load, so a missing swagger-ui-dist is a JSON 404
 * here rather than a blank page in the browser.
 */
static int docs_page(struct req *r)
{
	static const char page[] =
		"<!DOCTYPE html>\n"
		"<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<title>agora API</title>\n"
		"<link rel=\"stylesheet\" href=\"/api/docs/swagger-ui.css\">\n"
		"<link rel=\"icon\" type=\"image/png\" "
		"href=\"/api/docs/favicon-32x32.png\" sizes=\"32x32\">\n"
		"</head>\n<body>\n<div id=\"swagger-ui\"></div>\n"
		"<script src=\"/api/docs/swagger-ui-bundle.js\"></script>\n"
		"<script>\n"
		"window.ui = SwaggerUIBundle({ url: \"/api/docs-json\", "
		"dom_id: \"#swagger-ui\", deepLinking: true, "
		"persistAuthorization: true, "
		"presets: [SwaggerUIBundle.presets.apis], "
		"layout: \"BaseLayout\" });\n"
		"</script>\n</body>\n</html>\n";
	char *path = xasprintf("%s/swagger-ui-bundle.js",
			       app_of(r)->cfg.swagger_ui_dir);
	int ret;

	if (access(path, R_OK) < 0)
		ret = docs_missing(r, path);
	else
		ret = req_bytes(r, 200, "text/html; charset=utf-8", page,
				sizeof(page) - 1);
	free(path);
	return ret;
}

static const struct route routes[] = {
	{ "GET", "/api/docs-json", docs_json, 0 },
	{ "GET", "/api/docs", docs_page, 0 },
	{ "GET", "/api/docs/:file", docs_asset, 0 },
	{ NULL },
};

APP_MAIN("docs", routes, 0)
