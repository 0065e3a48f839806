/* t-kafka.c: topics, settings, the relay's producer and the reachability
 * probe, against librdkafka's mock cluster in this process. */
#include "common.h"
#include "kafka.h"
#include "tap.h"

#include <librdkafka/rdkafka_mock.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct report {
	int got;
	rd_kafka_resp_err_t err;
	rd_kafka_msg_status_t status;
	int32_t partition;
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
			void *opaque)
{
	struct report *r = opaque;

	(void)rk;
	r->got++;
	r->err = m->err;
	r->status = rd_kafka_message_status(m);
	r->partition = m->partition;
}

int main(void)
{
	struct err e = ERR_INIT;
	struct cfg c;
	struct report rep = { 0, RD_KAFKA_RESP_ERR_NO_ERROR,
			      RD_KAFKA_MSG_STATUS_NOT_PERSISTED, -1 };
	char brokers[128], errstr[256], key[] = "42", value[] = "{}";
	rd_kafka_conf_t *conf;
	rd_kafka_t *host, *rk;
	rd_kafka_mock_cluster_t *mc;
	rd_kafka_queue_t *q;
	rd_kafka_event_t *ev;
	rd_kafka_resp_err_t perr;
	double t0;
	int i;

	is_str(kafka_topic_for("order"), "order-events", "orders' topic");
	is_str(kafka_topic_for("product"), "product-events", "products' topic");
	ok(kafka_topic_for("issue") == NULL, "no topic for other aggregates");

	conf = rd_kafka_conf_new();
	ok(kafka_conf_set(conf, "no.such.setting", "1", &e) < 0 &&
		   e.code == ERR_INTERNAL && strstr(e.msg, "no.such.setting"),
	   "an unknown setting is refused, named (%s)", e.msg);
	err_release(&e);
	rd_kafka_conf_destroy(conf);

	/* The broker: a mock cluster living in a client of its own. */
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "log_level", "0", NULL, 0);
	host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	mc = host ? rd_kafka_mock_cluster_new(host, 1) : NULL;
	if (!mc)
		return tap_skip_all("no librdkafka mock cluster");
	rd_kafka_mock_topic_create(mc, KAFKA_TOPIC_ORDERS, 3, 1);
	snprintf(brokers, sizeof(brokers), "%s",
		 rd_kafka_mock_cluster_bootstraps(mc));

	memset(&c, 0, sizeof(c));
	c.kafka_brokers = brokers;
	c.kafka_client_id = (char *)"t-kafka";

	ok(kafka_ping(&c, 3000, &e) == 0, "the broker answers (%s)", e.msg);
	err_release(&e);

	rk = kafka_producer(&c, "test", on_delivery, &rep, &e);
	ok(rk != NULL, "an idempotent producer (%s)", e.msg);
	err_release(&e);
	if (!rk)
		return done_testing();
	perr = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(KAFKA_TOPIC_ORDERS),
				 RD_KAFKA_V_KEY(key, 2),
				 RD_KAFKA_V_VALUE(value, 2),
				 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				 RD_KAFKA_V_END);
	ok(perr == RD_KAFKA_RESP_ERR_NO_ERROR, "a message is queued");
	for (i = 0; i < 100 && !rep.got; i++)
		rd_kafka_poll(rk, 100);
	ok(rep.got == 1 && rep.err == RD_KAFKA_RESP_ERR_NO_ERROR &&
		   rep.status == RD_KAFKA_MSG_STATUS_PERSISTED,
	   "its delivery report says persisted (%s, status %d)",
	   rd_kafka_err2name(rep.err), (int)rep.status);
	ok(rep.partition >= 0 && rep.partition < 3, "in a partition (%d)",
	   (int)rep.partition);

	/* CreateTopics is answered, or times out, within its bound: the
	 * mock has no controller, so an error is the expected answer. */
	q = rd_kafka_queue_new(rk);
	t0 = now_ms();
	kafka_create_topics(rk, (const char *const[]){ "t1" }, 1, 3, 1000, q);
	/* Its timeout is 1 s; a hang is never: 10 s tells them apart. */
	ev = rd_kafka_queue_poll(q, 10000);
	ok(ev != NULL, "CreateTopics answers within its timeout (%.0f ms)",
	   now_ms() - t0);
	if (ev) {
		int rc = kafka_topics_result(ev, &e);

		ok(rc == 0 || e.code == ERR_UNAVAILABLE,
		   "its result is read (%s)", rc ? e.msg : "created");
		err_release(&e);
		rd_kafka_event_destroy(ev);
	}
	rd_kafka_queue_destroy(q);
	rd_kafka_flush(rk, 2000);
	rd_kafka_destroy(rk);

	rd_kafka_mock_broker_set_down(mc, 1);
	t0 = now_ms();
	ok(kafka_ping(&c, 1000, &e) < 0 && e.code == ERR_UNAVAILABLE,
	   "the broker down: unavailable (%s)", e.msg);
	ok(now_ms() - t0 < 5000, "within seconds of its 1 s bound (%.0f ms)",
	   now_ms() - t0);
	err_release(&e);
	rd_kafka_mock_broker_set_up(mc, 1);

	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(host);
	return done_testing();
}
