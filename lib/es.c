/* es.c: a small Elasticsearch 8 REST client over libcurl: requests with
 * timeouts, errors, _bulk bodies and their answers. */
#include "common.h"

#include <curl/curl.h>

#include "es.h"
#include "jsonx.h"

/* A response larger than this is not one agora asked for. */
#define ES_RESPONSE_CAP (64u << 20)
#define ES_CONNECT_MS	1000L

struct es {
	CURL *curl;
	struct curl_slist *json_hdr, *ndjson_hdr;
	char *node;
	long timeout_ms;
	struct sbuf resp;
	char errbuf[CURL_ERROR_SIZE];
};

static size_t es_write_cb(char *ptr, size_t size, size_t n, void *ctx)
{
	struct sbuf *sb = ctx;

	/* A short count makes curl fail the transfer. */
	return sbuf_add(sb, ptr, size * n) < 0 ? 0 : size * n;
}

int es_open(struct es **out, const char *node, long timeout_ms, struct err *e)
{
	static bool global_done;
	struct es *es;
	size_t len = strlen(node);

	*out = NULL;
	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return err_set(e, ERR_INTERNAL, "curl_global_init");
		global_done = true;
	}
	es = xcalloc(1, sizeof(*es));
	while (len && node[len - 1] == '/')
		len--;
	es->node = xstrndup(node, len);
	es->timeout_ms = timeout_ms;
	sbuf_init(&es->resp, 0, ES_RESPONSE_CAP);
	es->curl = curl_easy_init();
	if (!es->curl) {
		es_free(es);
		return err_set(e, ERR_INTERNAL, "curl_easy_init");
	}
	/* Expect: 100-continue would cost a round trip on bulk bodies. */
	es->json_hdr =
		curl_slist_append(NULL, "Content-Type: application/json");
	es->json_hdr = curl_slist_append(es->json_hdr, "Expect:");
	es->ndjson_hdr =
		curl_slist_append(NULL, "Content-Type: application/x-ndjson");
	es->ndjson_hdr = curl_slist_append(es->ndjson_hdr, "Expect:");
	if (!es->json_hdr || !es->ndjson_hdr)
		die("out of memory");
	*out = es;
	return 0;
}

void es_free(struct es *es)
{
	if (!es)
		return;
	if (es->curl)
		curl_easy_cleanup(es->curl);
	curl_slist_free_all(es->json_hdr);
	curl_slist_free_all(es->ndjson_hdr);
	sbuf_release(&es->resp);
	free(es->node);
	free(es);
}

void es_set_timeout(struct es *es, long timeout_ms)
{
	es->timeout_ms = timeout_ms;
}

int es_call(struct es *es, const char *method, const char *path,
	    const char *body, size_t len, bool ndjson, long *status,
	    struct json_object **out, struct err *e)
{
	CURL *c = es->curl;
	char *url = xasprintf("%s%s", es->node, path);
	struct err pe = ERR_INIT;
	CURLcode rc;
	int ret = -1;

	*out = NULL;
	*status = 0;
	sbuf_reset(&es->resp);
	es->errbuf[0] = '\0';
	/* The handle is reused (its connection stays open): every option a
	 * previous call may have set is set again here. */
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 es->timeout_ms < ES_CONNECT_MS ? es->timeout_ms :
							  ES_CONNECT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, es->timeout_ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, es->errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, es_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &es->resp);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER,
			 ndjson ? es->ndjson_hdr : es->json_hdr);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)len);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST,
				 strcmp(method, "GET") ? method : NULL);
	}
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		err_set(e, ERR_UNAVAILABLE, "elasticsearch: %s %s: %s", method,
			path,
			es->errbuf[0] ? es->errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (es->resp.len &&
	    jsonx_parse(es->resp.buf, es->resp.len, out, &pe) < 0) {
		err_set(e, ERR_UNAVAILABLE,
			"elasticsearch: %s %s: %ld with "
			"a body that is not JSON: %s",
			method, path, *status, pe.msg);
		goto out;
	}
	ret = 0;
out:
	err_release(&pe);
	free(url);
	return ret;
}

const char *es_error_type(struct json_object *body)
{
	struct json_object *err;
	const char *t;

	if (!json_object_object_get_ex(body, "error", &err))
		return "";
	t = jsonx_get_str(err, "type");
	return t ? t : "";
}

int es_fail(struct err *e, const char *what, long status,
	    struct json_object *body)
{
	return err_set(e,
		       status == 429 || status >= 500 ? ERR_UNAVAILABLE :
							ERR_INTERNAL,
		       "elasticsearch: %s: %ld %s", what, status,
		       es_error_type(body));
}

static void es_bulk_meta(struct sbuf *sb, const char *action, const char *index,
			 int64_t id, int64_t version)
{
	sbuf_addf(sb, "{\"%s\":{\"_index\":", action);
	sbuf_add_json_str(sb, index);
	sbuf_addf(sb,
		  ",\"_id\":\"%" PRId64 "\",\"version\":%" PRId64
		  ",\"version_type\":\"external\"}}\n",
		  id, version);
}

void es_bulk_index(struct sbuf *sb, const char *index, int64_t id,
		   int64_t version, struct json_object *doc)
{
	es_bulk_meta(sb, "index", index, id, version);
	sbuf_addstr(sb, jsonx_str(doc, NULL));
	sbuf_addch(sb, '\n');
}

void es_bulk_delete(struct sbuf *sb, const char *index, int64_t id,
		    int64_t version)
{
	es_bulk_meta(sb, "delete", index, id, version);
}

bool es_item_settled(int status, bool is_delete)
{
	return (status >= 200 && status < 300) || status == 409 ||
	       (is_delete && status == 404);
}

int es_bulk(struct es *es, const char *path, const struct sbuf *body,
	    struct json_object **items, struct err *e)
{
	struct json_object *resp = NULL, *arr;
	long status;
	int ret = -1;

	*items = NULL;
	if (es_call(es, "POST", path, body->buf, body->len, true, &status,
		    &resp, e) < 0)
		return -1;
	if (status != 200 || !json_object_object_get_ex(resp, "items", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		es_fail(e, "_bulk", status, resp);
		goto out;
	}
	*items = json_object_get(arr);
	ret = 0;
out:
	json_object_put(resp);
	return ret;
}

int es_item_status(struct json_object *item, const char **type,
		   const char **result)
{
	struct json_object *err;
	int64_t status = 0;
	const char *r;

	*type = "";
	*result = "";
	json_object_object_foreach (item, action, v) {
		(void)action;
		jsonx_get_int(v, "status", &status);
		r = jsonx_get_str(v, "result");
		*result = r ? r : "";
		if (json_object_object_get_ex(v, "error", &err)) {
			r = jsonx_get_str(err, "type");
			*type = r ? r : "";
		}
		break;
	}
	return (int)status;
}
