/* kafka.c: what the Kafka clients share; the relay's producer. */
#include "common.h"

#include <stdio.h>

#include "kafka.h"
#include "log.h"

const char *kafka_topic_for(const char *aggregatetype)
{
	if (!strcmp(aggregatetype, "order"))
		return KAFKA_TOPIC_ORDERS;
	if (!strcmp(aggregatetype, "product"))
		return KAFKA_TOPIC_PRODUCTS;
	return NULL;
}

/* librdkafka's own log lines, at syslog levels, into ours. It calls this
 * from its threads; log_msg writes each line with one call. */
static void kafka_log(const rd_kafka_t *rk, int level, const char *fac,
		      const char *buf)
{
	enum log_level lvl = level <= 3 ? LOG_ERROR :
			     level == 4 ? LOG_WARN :
			     level <= 6 ? LOG_INFO :
					  LOG_DEBUG;

	log_msg(lvl, NULL, "kafka %s %s: %s", rd_kafka_name(rk), fac, buf);
}

/* Errors the client recovers from on its own (a broker down, all brokers
 * down) are worth a warning; it keeps retrying. */
static void kafka_error(rd_kafka_t *rk, int err, const char *reason,
			void *opaque)
{
	(void)opaque;
	log_msg(err == RD_KAFKA_RESP_ERR__FATAL ? LOG_ERROR : LOG_WARN, NULL,
		"kafka %s: %s: %s", rd_kafka_name(rk),
		rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

int kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
		   struct err *e)
{
	char errstr[256];

	if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) !=
	    RD_KAFKA_CONF_OK)
		return err_set(e, ERR_INTERNAL, "kafka %s=%s: %s", name, value,
			       errstr);
	return 0;
}

rd_kafka_conf_t *kafka_conf(const struct cfg *c, const char *role)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	struct err e = ERR_INIT;
	char id[256];

	snprintf(id, sizeof(id), "%s-%s", c->kafka_client_id, role);
	/* These names and values are all valid: a failure is a bug that the
	 * log shows. */
	if (kafka_conf_set(conf, "bootstrap.servers", c->kafka_brokers, &e) <
		    0 ||
	    kafka_conf_set(conf, "client.id", id, &e) < 0 ||
	    kafka_conf_set(conf, "socket.timeout.ms", "10000", &e) < 0 ||
	    kafka_conf_set(conf, "socket.connection.setup.timeout.ms", "5000",
			   &e) < 0 ||
	    kafka_conf_set(conf, "reconnect.backoff.max.ms", "1000", &e) < 0 ||
	    kafka_conf_set(conf, "log.connection.close", "false", &e) < 0)
		log_msg(LOG_ERROR, NULL, "%s", e.msg);
	err_release(&e);
	rd_kafka_conf_set_log_cb(conf, kafka_log);
	rd_kafka_conf_set_error_cb(conf, kafka_error);
	return conf;
}

static rd_kafka_t *kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf,
			     struct err *e)
{
	char errstr[512];
	rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));

	if (!rk) {
		rd_kafka_conf_destroy(conf); /* not taken on failure */
		err_set(e, ERR_INTERNAL, "kafka: %s", errstr);
	}
	return rk;
}

rd_kafka_t *kafka_producer(const struct cfg *c, const char *role,
			   void (*dr)(rd_kafka_t *, const rd_kafka_message_t *,
				      void *),
			   void *opaque, struct err *e)
{
	rd_kafka_conf_t *conf = kafka_conf(c, role);

	if (kafka_conf_set(conf, "enable.idempotence", "true", e) < 0 ||
	    kafka_conf_set(conf, "acks", "all", e) < 0 ||
	    kafka_conf_set(conf, "message.timeout.ms", "0", e) < 0 ||
	    kafka_conf_set(conf, "linger.ms", "2", e) < 0) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, dr);
	rd_kafka_conf_set_opaque(conf, opaque);
	return kafka_new(RD_KAFKA_PRODUCER, conf, e);
}

void kafka_create_topics(rd_kafka_t *rk, const char *const *topics, size_t n,
			 int partitions, int timeout_ms, rd_kafka_queue_t *q)
{
	rd_kafka_NewTopic_t **nt = xcalloc(n + 1, sizeof(*nt));
	rd_kafka_AdminOptions_t *opt;
	char errstr[256];
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		nt[k] = rd_kafka_NewTopic_new(topics[i], partitions, 1, errstr,
					      sizeof(errstr));
		if (nt[k])
			k++;
		else
			log_msg(LOG_ERROR, NULL, "kafka topic %s: %s",
				topics[i], errstr);
	}
	opt = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	/* Valid values cannot fail. */
	rd_kafka_AdminOptions_set_request_timeout(opt, timeout_ms, errstr,
						  sizeof(errstr));
	rd_kafka_AdminOptions_set_operation_timeout(opt, timeout_ms, errstr,
						    sizeof(errstr));
	rd_kafka_CreateTopics(rk, nt, k, opt, q);
	rd_kafka_AdminOptions_destroy(opt);
	rd_kafka_NewTopic_destroy_array(nt, k);
	free(nt);
}

int kafka_topics_result(rd_kafka_event_t *ev, struct err *e)
{
	const rd_kafka_CreateTopics_result_t *res;
	const rd_kafka_topic_result_t **tr;
	size_t i, got;

	if (rd_kafka_event_error(ev))
		return err_set(e, ERR_UNAVAILABLE, "kafka CreateTopics: %s",
			       rd_kafka_event_error_string(ev));
	res = rd_kafka_event_CreateTopics_result(ev);
	if (!res)
		return err_set(e, ERR_INTERNAL,
			       "kafka: not a CreateTopics "
			       "result: %s",
			       rd_kafka_event_name(ev));
	tr = rd_kafka_CreateTopics_result_topics(res, &got);
	for (i = 0; i < got; i++) {
		rd_kafka_resp_err_t err = rd_kafka_topic_result_error(tr[i]);

		if (err && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
			return err_set(e, ERR_UNAVAILABLE, "kafka topic %s: %s",
				       rd_kafka_topic_result_name(tr[i]),
				       rd_kafka_topic_result_error_string(
					       tr[i]));
	}
	return 0;
}

int kafka_ping(const struct cfg *c, int timeout_ms, struct err *e)
{
	rd_kafka_conf_t *conf = kafka_conf(c, "health");
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t err;
	rd_kafka_t *rk;

	/* Quiet: an unreachable broker is the answer, not a log line. */
	rd_kafka_conf_set_log_cb(conf, NULL);
	rd_kafka_conf_set_error_cb(conf, NULL);
	kafka_conf_set(conf, "log_level", "0", e);
	rk = kafka_new(RD_KAFKA_PRODUCER, conf, e);
	if (!rk)
		return -1;
	err = rd_kafka_metadata(rk, 0, NULL, &md, timeout_ms);
	if (md)
		rd_kafka_metadata_destroy(md);
	rd_kafka_destroy(rk);
	if (err)
		return err_set(e, ERR_UNAVAILABLE, "kafka: %s",
			       rd_kafka_err2str(err));
	return 0;
}

int kafka_group_lag(const struct cfg *c, const char *group, const char *topic,
		    int timeout_ms, int64_t *lag, int64_t *messages,
		    struct err *e)
{
	rd_kafka_conf_t *conf = kafka_conf(c, "metrics");
	rd_kafka_topic_partition_list_t *parts = NULL;
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt = NULL;
	rd_kafka_resp_err_t err;
	rd_kafka_t *rk;
	int64_t lo, hi, sum = 0, total = 0;
	int i, ret = -1;

	rd_kafka_conf_set_log_cb(conf, NULL);
	rd_kafka_conf_set_error_cb(conf, NULL);
	if (kafka_conf_set(conf, "log_level", "0", e) < 0 ||
	    kafka_conf_set(conf, "group.id", group, e) < 0) {
		rd_kafka_conf_destroy(conf);
		return -1;
	}
	rk = kafka_new(RD_KAFKA_CONSUMER, conf, e);
	if (!rk)
		return -1;
	rkt = rd_kafka_topic_new(rk, topic, NULL);
	err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
	if (err || md->topic_cnt != 1 || md->topics[0].err) {
		err_set(e, ERR_UNAVAILABLE, "kafka: metadata of %s: %s", topic,
			rd_kafka_err2str(
				err ? err :
				md->topic_cnt == 1 ?
				      md->topics[0].err :
				      RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
		goto out;
	}
	parts = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
	for (i = 0; i < md->topics[0].partition_cnt; i++) {
		int32_t id = md->topics[0].partitions[i].id;

		rd_kafka_topic_partition_list_add(parts, topic, id);
	}
	err = rd_kafka_committed(rk, parts, timeout_ms);
	if (err) {
		err_set(e, ERR_UNAVAILABLE, "kafka: offsets of %s: %s", group,
			rd_kafka_err2str(err));
		goto out;
	}
	for (i = 0; i < parts->cnt; i++) {
		int32_t id = parts->elems[i].partition;

		err = rd_kafka_query_watermark_offsets(rk, topic, id, &lo, &hi,
						       timeout_ms);
		if (err) {
			err_set(e, ERR_UNAVAILABLE,
				"kafka: watermarks of "
				"%s: %s",
				topic, rd_kafka_err2str(err));
			goto out;
		}
		total += hi;
		if (parts->elems[i].offset >= 0)
			lo = parts->elems[i].offset;
		sum += hi > lo ? hi - lo : 0;
	}
	*lag = sum;
	if (messages)
		*messages = total;
	ret = 0;
out:
	if (parts)
		rd_kafka_topic_partition_list_destroy(parts);
	if (md)
		rd_kafka_metadata_destroy(md);
	if (rkt)
		rd_kafka_topic_destroy(rkt);
	/* It never joined the group: nothing to leave. */
	rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
	return ret;
}
