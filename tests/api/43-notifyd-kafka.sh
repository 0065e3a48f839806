# 43-notifyd-kafka.sh: agora-notifyd in Kafka mode loses nothing and
# repeats nothing: stopped while orders are made, SIGKILLed in the middle
# of a stream (its stored offsets not yet committed); and its consumer
# group, new on a broker where events already wait, reads them from the
# start (auto.offset.reset=earliest). The kafka pass only; 42-notifyd.sh
# is the same for the outbox table.
# shellcheck shell=bash disable=SC2016,SC2034

[ "$API_BACKEND" = kafka ] || return 0

n43_tag=n43$$$RANDOM
n43_dir=$API_STATE/n43
n43_pidfile=$rundir/stack/notifyd.pid
n43_log=$rundir/stack/error.log
n43_bin=$AGORA_BUILDDIR/src/agora-notifyd
n43_mock=
n43_other=
mkdir -p "$n43_dir"

# n43_alive PID: the process runs (not a zombie).
n43_alive() {
	local line st
	read -r line 2>/dev/null </proc/"$1"/stat || return 1
	st=${line##*) }
	[ "${st%% *}" != Z ]
}

# n43_kill PID [SIGNAL]: signal the process and wait (10 s) until gone;
# reaped quietly when it is ours (no "Killed" line from bash).
n43_kill() {
	kill -"${2:-TERM}" "$1" 2>/dev/null || true
	for _ in $(seq 100); do
		if ! n43_alive "$1"; then
			{ wait "$1"; } 2>/dev/null
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# n43_stop [SIGNAL]: stop the stack's agora-notifyd.
n43_stop() {
	local pid
	read -r pid <"$n43_pidfile" 2>/dev/null || return 0
	n43_kill "$pid" "${1:-TERM}"
}

# n43_start: a new agora-notifyd with the stack's configuration, logging
# to its error log (scanned for sanitizer reports), pid where the stack's
# stop finds it.
n43_start() {
	"$n43_bin" </dev/null >>"$n43_log" 2>&1 &
	echo $! >"$n43_pidfile"
}

# n43_wait SQL VALUE [SECONDS]: wait until SQL prints VALUE (30 s: a
# consumer that joins its group again waits for the test broker's
# rebalance, about 10 s, longer after a member died without leaving).
n43_wait() {
	local got='' t0
	t0=$(date +%s%N)
	for _ in $(seq $((${3:-30} * 10))); do
		got=$(db_sql "$1" 2>/dev/null)
		if [ "$got" = "$2" ]; then
			diag "n43: $2 after $((($(date +%s%N) - t0) / 1000000)) ms"
			return 0
		fi
		sleep 0.1
	done
	diag "n43_wait: got '$got', expected '$2' from: $1"
	return 1
}

# n43_count LIKE: notifications whose event id is LIKE the pattern.
n43_count() {
	db_sql "SELECT count(*) FROM notifications WHERE event_id LIKE '$1'"
}

# n43_events FROM TO PREFIX: outbox rows FROM..TO shaped as the orders
# responder writes them, in one transaction; agora-relayd publishes them.
# Their aggregate ids (Kafka keys) are no real order's.
n43_events() {
	db_sql "INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload)
		SELECT '$3-' || i, 'order', '$3-' || i, 'ORDER_CREATED',
			'{\"eventId\":\"$3-' || i || '\",\"eventType\":'
			|| '\"ORDER_CREATED\",\"timestamp\":\"2026-01-01T00:00:00.000Z\",'
			|| '\"orderId\":' || i || ',\"userId\":$n43_uid,'
			|| '\"totalAmount\":' || (i * 10) || '}'
		FROM generate_series($1, $2) AS i" >/dev/null
}

n43_cleanup() {
	[ -z "$n43_other" ] || n43_kill "$n43_other"
	[ -z "$n43_mock" ] || n43_kill "$n43_mock"
	n43_other=
	n43_mock=
}
trap n43_cleanup EXIT

TOKEN='' api POST /api/auth/signup "$(jq -nc --arg e "u.$n43_tag@example.com" \
	'{email: $e, password: "password-n43", name: "notified"}')"
n43_uid=$(json .id)
n43_user=$(login "u.$n43_tag@example.com" password-n43) || n43_user=
n43_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || n43_admin=
TOKEN=$n43_admin api POST /api/products "$(jq -nc --arg n "Item $n43_tag" \
	'{name: $n, category: "Notify test", brand: "Acme", price: 700,
	status: "ACTIVE"}')"
n43_product=$(json .id)
ok '[ -n "$n43_user" ] && [ -n "$n43_admin" ] && [ -n "$n43_product" ] &&
	[ -s "$n43_pidfile" ]' "a user, a product, and notifyd running"

# --- stopped while 100 orders are made ----------------------------------------
n43_mine="SELECT count(*) FROM notifications WHERE user_id = $n43_uid"
ok 'n43_stop TERM' "notifyd stops on SIGTERM"
n43_fail=0
n43_ids=
for _ in $(seq 100); do
	TOKEN=$n43_user api POST /api/orders \
		"{\"items\":[{\"productId\":$n43_product,\"quantity\":3}]}"
	[ "$STATUS" = 201 ] || n43_fail=$((n43_fail + 1))
done
ok '[ "$n43_fail" = 0 ]' "100 orders made while notifyd is stopped"
ok 'n43_wait "SELECT count(*) FROM outbox o JOIN orders r
	ON o.aggregateid = CAST(r.id AS text) WHERE r.user_id = $n43_uid
	AND o.aggregatetype = '\''order'\'' AND o.published_at IS NOT NULL" 100 10' \
	"their 100 events are published to Kafka"
ok '[ "$(db_sql "$n43_mine")" = 0 ]' "no notification while notifyd is stopped"
n43_start
# The test broker has been seen to take 20 s to let the group form again.
ok 'n43_wait "$n43_mine" 100 45' "restarted: the 100 notifications arrive"
sleep 1
ok '[ "$(db_sql "$n43_mine")" = 100 ] && [ "$(db_sql "SELECT count(DISTINCT message)
	FROM notifications WHERE user_id = $n43_uid AND type = '\''ORDER_CREATED'\''
	AND message LIKE '\''%, 금액: 2100원'\''")" = 100 ]' \
	"exactly 100, each with its own order number and the amount 2100원"

# --- SIGKILL in the middle of a stream of 500 events --------------------------
n43_s=s$n43_tag
n43_killed=
for n43_i in $(seq 0 9); do
	n43_events $((n43_i * 50 + 1)) $((n43_i * 50 + 50)) "$n43_s"
	if [ "$n43_i" = 4 ]; then
		# Some of the stream is in, not all of it.
		for _ in $(seq 250); do
			[ "$(n43_count "$n43_s-%")" != 0 ] && break
			sleep 0.02
		done
		n43_stop KILL && n43_killed=1
	fi
done
ok 'n43_wait "SELECT count(*) FROM outbox WHERE id LIKE '\''$n43_s-%'\''
	AND published_at IS NOT NULL" 500 10' "500 events published to Kafka"
n43_mid=$(n43_count "$n43_s-%")
ok '[ -n "$n43_killed" ] && [ "$n43_mid" -gt 0 ] && [ "$n43_mid" -lt 500 ]' \
	"notifyd SIGKILLed part way through 500 events ($n43_mid done)"
n43_start
ok 'n43_wait "SELECT count(*) FROM notifications
	WHERE event_id LIKE '\''$n43_s-%'\''" 500' "restarted: 500 notifications"
sleep 1
ok '[ "$(n43_count "$n43_s-%")" = 500 ] && [ "$(db_sql "SELECT count(*) FROM
	(SELECT o.id FROM outbox o LEFT JOIN notifications n ON n.event_id = o.id
	WHERE o.id LIKE '\''$n43_s-%'\'' GROUP BY o.id
	HAVING count(n.id) <> 1) AS x")" = 0 ]' \
	"each event exactly one notification"

# --- a consumer group that starts after the events ----------------------------
# notifyd's group is fixed (notification-consumer-group) and has committed
# offsets on the run's broker: a second broker of our own, where events
# wait before the group first exists, shows where a new group begins.
"$AGORA_BUILDDIR/tests/helpers/kafka-mock" "$n43_dir/mock.ctl" \
	>"$n43_dir/mock.addr" 2>>"$n43_log" &
n43_mock=$!
for _ in $(seq 50); do
	[ -s "$n43_dir/mock.addr" ] && break
	sleep 0.1
done
read -r n43_brokers <"$n43_dir/mock.addr" || n43_brokers=
n43_g=g$n43_tag
for n43_i in $(seq 20); do
	printf '%s|%s\n' "$n43_i" "$(jq -nc --arg id "$n43_g-$n43_i" \
		--argjson o "$n43_i" --argjson u "$n43_uid" '{eventId: $id,
		eventType: "ORDER_CREATED", orderId: $o, userId: $u,
		timestamp: "2026-01-01T00:00:00.000Z", totalAmount: 10}')"
done >"$n43_dir/early"
n43_out=$(timeout 10 kcat -P -b "${n43_brokers:-none}" -t order-events \
	-K '|' <"$n43_dir/early" 2>&1)
n43_rc=$?
ok '[ -n "$n43_brokers" ] && [ "$n43_rc" = 0 ] && [ -z "$n43_out" ] &&
	[ "$(timeout 10 kcat -C -b "$n43_brokers" -t order-events -e -q \
	-f "%s\n" 2>/dev/null | grep -c "\"$n43_g-")" = 20 ]' \
	"a second broker with 20 events and no consumer group yet"
KAFKA_BROKERS=$n43_brokers "$n43_bin" </dev/null >>"$n43_log" 2>&1 &
n43_other=$!
ok 'n43_wait "SELECT count(*) FROM notifications
	WHERE event_id LIKE '\''$n43_g-%'\''" 20' \
	"notifyd's group, new there, reads the 20 events made before it began"
ok 'n43_kill "$n43_other"' "and stops on SIGTERM"
n43_other=
n43_cleanup
trap - EXIT
