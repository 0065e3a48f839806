# 42-notifyd.sh: agora-notifyd reading the outbox table loses nothing and
# repeats nothing: stopped while orders are made, SIGKILLed in the middle of
# a stream, its cursor rewound; a poison event is dead-lettered and the
# next one processed. sqlite and postgres passes (table mode) only.
# shellcheck shell=bash disable=SC2016,SC2034

case $API_BACKEND in
sqlite | postgres) ;;
*) return 0 ;;
esac

n42_tag=n42$$$RANDOM
n42_pidfile=$rundir/stack/notifyd.pid
n42_bin=$AGORA_BUILDDIR/src/agora-notifyd

# n42_alive PID: the process runs (not a zombie).
n42_alive() {
	local line st
	read -r line 2>/dev/null </proc/"$1"/stat || return 1
	st=${line##*) }
	[ "${st%% *}" != Z ]
}

# n42_stop [SIGNAL]: stop the stack's agora-notifyd and wait until gone.
n42_stop() {
	local pid
	read -r pid <"$n42_pidfile" 2>/dev/null || return 0
	kill -"${1:-TERM}" "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		n42_alive "$pid" || break
		sleep 0.1
	done
	! n42_alive "$pid"
}

# n42_start: a new agora-notifyd with the stack's configuration, logging
# to its error log (scanned for sanitizer reports), pid where the stack's
# stop finds it.
n42_start() {
	"$n42_bin" </dev/null >>"$rundir/stack/error.log" 2>&1 &
	echo $! >"$n42_pidfile"
}

# n42_count LIKE: notifications whose event_id is LIKE the pattern.
n42_count() {
	db_sql "SELECT count(*) FROM notifications WHERE event_id LIKE '$1'"
}

# n42_wait_count LIKE N: wait (15 s at most) until n42_count is N.
n42_wait_count() {
	local got=
	for _ in $(seq 150); do
		got=$(n42_count "$1")
		[ "$got" = "$2" ] && return 0
		sleep 0.1
	done
	diag "n42: $1: $got notifications, expected $2"
	return 1
}

# n42_events FROM TO PREFIX: outbox rows FROM..TO shaped as the orders
# responder writes them (event id = outbox id), in one transaction;
# retried while notifyd's transaction holds SQLite's write lock.
n42_events() {
	local try
	for try in $(seq 50); do
		n42_insert "$@" 2>/dev/null && return 0
		sleep 0.05
	done
	n42_insert "$@"
}

n42_insert() {
	db_sql "INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload)
		WITH RECURSIVE s(i) AS (SELECT $1 UNION ALL
			SELECT i + 1 FROM s WHERE i < $2)
		SELECT '$3-' || i, 'order', CAST(i AS text), 'ORDER_CREATED',
			'{\"eventId\":\"$3-' || i || '\",\"eventType\":'
			|| '\"ORDER_CREATED\",\"timestamp\":\"2026-01-01T00:00:00.000Z\",'
			|| '\"orderId\":' || i || ',\"userId\":$n42_uid,'
			|| '\"totalAmount\":' || (i * 10) || '}'
		FROM s" >/dev/null
}

TOKEN='' api POST /api/auth/signup "$(jq -nc --arg e "u.$n42_tag@example.com" \
	'{email: $e, password: "password-n42", name: "notified"}')"
n42_uid=$(json .id)
n42_user=$(login "u.$n42_tag@example.com" password-n42) || n42_user=
n42_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || n42_admin=
TOKEN=$n42_admin api POST /api/products "$(jq -nc --arg n "Item $n42_tag" \
	'{name: $n, category: "Notify test", brand: "Acme", price: 700,
	status: "ACTIVE"}')"
n42_product=$(json .id)
ok '[ -n "$n42_user" ] && [ -n "$n42_admin" ] && [ -n "$n42_product" ] &&
	[ -s "$n42_pidfile" ]' "a user, a product, and notifyd running"

# --- stopped while 100 orders are made ----------------------------------------
ok 'n42_stop TERM' "notifyd stops on SIGTERM"
n42_before=$(db_sql "SELECT count(*) FROM notifications WHERE user_id = $n42_uid")
n42_fail=0
for _ in $(seq 100); do
	TOKEN=$n42_user api POST /api/orders \
		"{\"items\":[{\"productId\":$n42_product,\"quantity\":3}]}"
	[ "$STATUS" = 201 ] || n42_fail=$((n42_fail + 1))
done
ok '[ "$n42_fail" = 0 ]' "100 orders made while notifyd is stopped"
sleep 0.3
ok '[ "$(db_sql "SELECT count(*) FROM notifications WHERE user_id = $n42_uid")" = "$n42_before" ]' \
	"no notification while notifyd is stopped"
n42_start
n42_got=x
for _ in $(seq 150); do
	n42_got=$(db_sql "SELECT count(*) FROM notifications WHERE user_id = $n42_uid")
	[ "$n42_got" = $((n42_before + 100)) ] && break
	sleep 0.1
done
sleep 0.5
n42_got=$(db_sql "SELECT count(*) FROM notifications WHERE user_id = $n42_uid")
ok '[ "$n42_got" = $((n42_before + 100)) ]' \
	"restarted: exactly 100 new notifications (got $((n42_got - n42_before)))"
ok '[ "$(db_sql "SELECT count(DISTINCT message) FROM notifications
	WHERE user_id = $n42_uid AND type = '\''ORDER_CREATED'\''
	AND message LIKE '\''%, 금액: 2100원'\''")" = 100 ]' \
	"each with its own order number and the amount 2100원"

# --- SIGKILL in the middle of a stream of 500 events --------------------------
n42_s=s$n42_tag
n42_killed=
for n42_i in $(seq 0 9); do
	n42_events $((n42_i * 50 + 1)) $((n42_i * 50 + 50)) "$n42_s"
	if [ "$n42_i" = 4 ]; then
		# Some of the stream is in, not all of it.
		for _ in $(seq 100); do
			[ "$(n42_count "$n42_s-%")" != 0 ] && break
			sleep 0.02
		done
		n42_stop KILL && n42_killed=1
	fi
done
n42_mid=$(n42_count "$n42_s-%")
ok '[ "$(db_sql "SELECT count(*) FROM outbox WHERE id LIKE '\''$n42_s-%'\''")" = 500 ]' \
	"500 events in the outbox"
ok '[ -n "$n42_killed" ] && [ "$n42_mid" -gt 0 ] && [ "$n42_mid" -lt 500 ]' \
	"notifyd SIGKILLed part way through 500 events ($n42_mid done)"
n42_start
ok 'n42_wait_count "$n42_s-%" 500' "restarted: 500 notifications"
ok '[ "$(db_sql "SELECT count(DISTINCT event_id) FROM notifications
	WHERE event_id LIKE '\''$n42_s-%'\''")" = 500 ]' \
	"each event exactly one notification"

# --- a replay from the start makes nothing new --------------------------------
ok 'n42_stop TERM' "notifyd stops"
n42_total=$(db_sql "SELECT count(*) FROM notifications")
if [ "$API_BACKEND" = postgres ]; then
	db_sql "UPDATE outbox_offsets SET txid = '0', seq = 0
		WHERE consumer = 'notifyd'" >/dev/null
else
	db_sql "UPDATE outbox_offsets SET seq = 0
		WHERE consumer = 'notifyd'" >/dev/null
fi
n42_start
n42_left=x
for _ in $(seq 150); do
	n42_left=$(db_sql "SELECT count(*) FROM outbox WHERE aggregatetype = 'order'
		AND seq > (SELECT seq FROM outbox_offsets WHERE consumer = 'notifyd')")
	[ "$n42_left" = 0 ] && break
	sleep 0.1
done
ok '[ "$n42_left" = 0 ] &&
	[ "$(db_sql "SELECT count(*) FROM notifications")" = "$n42_total" ]' \
	"the cursor rewound to the start: every event replayed, no new row"

# --- a poison event, then a valid one -----------------------------------------
n42_p=p$n42_tag
db_sql "INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload)
	VALUES ('$n42_p-bad', 'order', '1', 'ORDER_CREATED', '{\"eventId\":')" \
	>/dev/null
n42_events 1 1 "$n42_p"
ok 'n42_wait_count "$n42_p-1" 1' "the valid event after a poison one is processed"
ok '[ "$(db_sql "SELECT count(*) FROM dead_letters WHERE consumer = '\''notifyd'\''
	AND ref = '\''$n42_p-bad'\'' AND payload = '\''{\"eventId\":'\''
	AND error LIKE '\''Unexpected end of JSON%'\''")" = 1 ]' \
	"the poison event is in dead_letters with its error"
ok 'grep -q "event $n42_p-bad .*dead-lettered" "$rundir/stack/error.log"' \
	"and in the log"

# --- health: the events backlog -----------------------------------------------
api GET /api/health
expect_json .details.events.status up "health has an events entry"
expect_json .details.events.backlog 0 "no events waiting"
