/*
 * kafka-mock: a Kafka broker for tests, built on librdkafka's mock cluster.
 *
 *   kafka-mock CTL
 *
 * Starts a one-broker mock cluster on loopback, prints its bootstrap
 * address ("127.0.0.1:PORT") on stdout and serves until SIGTERM or SIGINT.
 * Other processes connect to it as to any broker. CTL is created as a FIFO;
 * each line written to it is a command:
 *
 *   down              the broker drops its connections and refuses more
 *   up                it serves again
 *   errors KEY ERR N  the next N requests of API key KEY fail with error
 *                     code ERR (rd_kafka_mock_push_request_errors)
 *   topic NAME PARTS  create a topic with PARTS partitions
 *
 * KAFKA_MOCK_DEBUG set to librdkafka debug contexts ("mock") logs what
 * the broker does on stderr. The topics order-events, product-events and
 * order-events.DLQ exist from the start with 3 partitions (the mock has no
 * CreateTopics); others are created when first used. The cluster lives in a
 * client instance of this process, so it stays up while the daemons under test
 * are stopped and started.
 */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_ERRORS 64

static const char *const topics[] = { "order-events", "product-events",
				      "order-events.DLQ" };

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* command: carry out one control line; a bad line is reported, ignored. */
static void command(rd_kafka_mock_cluster_t *mc, char *line)
{
	rd_kafka_resp_err_t errs[MAX_ERRORS];
	char word[32], name[256];
	int key, code, n, i;

	line[strcspn(line, "\r\n")] = '\0';
	if (sscanf(line, "%31s", word) != 1)
		return;
	if (!strcmp(word, "down")) {
		rd_kafka_mock_broker_set_down(mc, 1);
	} else if (!strcmp(word, "up")) {
		rd_kafka_mock_broker_set_up(mc, 1);
	} else if (!strcmp(word, "errors") &&
		   sscanf(line, "%*s %d %d %d", &key, &code, &n) == 3 &&
		   n > 0 && n <= MAX_ERRORS) {
		for (i = 0; i < n; i++)
			errs[i] = (rd_kafka_resp_err_t)code;
		rd_kafka_mock_push_request_errors_array(mc, (int16_t)key,
							(size_t)n, errs);
	} else if (!strcmp(word, "topic") &&
		   sscanf(line, "%*s %255s %d", name, &n) == 2 && n > 0) {
		rd_kafka_mock_topic_create(mc, name, n, 1);
	} else {
		fprintf(stderr, "kafka-mock: bad command: %s\n", line);
		return;
	}
	fprintf(stderr, "kafka-mock: %s\n", line);
}

int main(int argc, char **argv)
{
	char errstr[512], buf[1024];
	size_t used = 0;
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;
	struct sigaction sa;
	size_t i;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: kafka-mock CTL-FIFO\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	unlink(argv[1]);
	if (mkfifo(argv[1], 0600) < 0) {
		fprintf(stderr, "kafka-mock: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	/* Read and write: the FIFO never reports end of file when a writer
	 * closes it, and opening does not wait for one. */
	fd = open(argv[1], O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "kafka-mock: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}

	conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
	/* KAFKA_MOCK_DEBUG=mock (librdkafka's debug contexts) shows what
	 * the broker does with each request, on stderr. */
	if (getenv("KAFKA_MOCK_DEBUG"))
		rd_kafka_conf_set(conf, "debug", getenv("KAFKA_MOCK_DEBUG"),
				  NULL, 0);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "kafka-mock: %s\n", errstr);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, 1);
	if (!mc) {
		fprintf(stderr, "kafka-mock: cannot create the mock cluster\n");
		rd_kafka_destroy(rk);
		return 1;
	}
	/* The mock has no Admin API: the topics agora uses exist from the
	 * start, with the partitions agora-relayd would ask for. */
	for (i = 0; i < ARRAY_SIZE(topics); i++)
		rd_kafka_mock_topic_create(mc, topics[i], 3, 1);
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);

	while (!stopping) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t got;
		char *nl;

		if (poll(&p, 1, 200) <= 0)
			continue;
		got = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (got <= 0)
			continue;
		used += (size_t)got;
		buf[used] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			command(mc, buf);
			used -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, used + 1);
		}
		if (used == sizeof(buf) - 1)
			used = 0; /* a line too long: drop it */
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	close(fd);
	unlink(argv[1]);
	return 0;
}
