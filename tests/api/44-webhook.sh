# 44-webhook.sh: agora-notifyd with NOTIFY_WEBHOOK_URL posts each new
# notification's JSON to the webhook (tests/helpers/webhook-stub); 5xx
# answers are retried until one succeeds; a webhook that hangs holds up
# neither the notification rows nor later events, and loses nothing. The
# stack's notifyd is restarted with the variable set, and restored at the
# end. sqlite and postgres passes (table mode) and the kafka pass.
# shellcheck shell=bash disable=SC2016,SC2034

case $API_BACKEND in
sqlite | postgres | kafka) ;;
*) return 0 ;;
esac

w44_tag=w44$$$RANDOM
w44_dir=$API_STATE/w44
w44_pidfile=$rundir/stack/notifyd.pid
w44_log=$rundir/stack/error.log
w44_stub=
w44_hooked=
# A consumer that rejoins its group in Kafka mode waits for the test
# broker's rebalance (10 to 20 s): waits there are longer.
w44_wait_s=10
[ "$API_BACKEND" != kafka ] || w44_wait_s=45
mkdir -p "$w44_dir"

# w44_alive PID: the process runs (not a zombie).
w44_alive() {
	local line st
	read -r line 2>/dev/null </proc/"$1"/stat || return 1
	st=${line##*) }
	[ "${st%% *}" != Z ]
}

# w44_notifyd_stop: SIGTERM the stack's agora-notifyd, wait until gone
# (it finishes the webhook attempt in hand, 5 s at most).
w44_notifyd_stop() {
	local pid
	read -r pid <"$w44_pidfile" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 150); do
		w44_alive "$pid" || return 0
		sleep 0.1
	done
	return 1
}

# w44_notifyd_start [VAR=value...]: a new agora-notifyd with the stack's
# configuration, logging to its error log, where the stack's stop finds it.
w44_notifyd_start() {
	env "$@" "$AGORA_BUILDDIR/src/agora-notifyd" </dev/null \
		>>"$w44_log" 2>&1 &
	echo $! >"$w44_pidfile"
}

w44_cleanup() {
	if [ -n "$w44_hooked" ]; then
		w44_notifyd_stop
		w44_notifyd_start
		w44_hooked=
	fi
	if [ -n "$w44_stub" ]; then
		kill -TERM "$w44_stub" 2>/dev/null
		wait "$w44_stub" 2>/dev/null
		w44_stub=
	fi
}
trap w44_cleanup EXIT

# w44_order: a new order of the user (3 of the product); sets w44_id and
# w44_ev (its ORDER_CREATED event id; the user's, as 42-notifyd.sh writes
# events of made-up orders).
w44_order() {
	TOKEN=$w44_user api POST /api/orders \
		"{\"items\":[{\"productId\":$w44_product,\"quantity\":3}]}"
	w44_id=$(json .id)
	w44_ev=$(db_sql "SELECT id FROM outbox WHERE aggregatetype = 'order'
		AND aggregateid = '$w44_id' AND type = 'ORDER_CREATED'
		AND payload LIKE '%\"userId\":$w44_uid,%'")
}

# w44_statuses EVENTID: the stub's answers to the posts of the event, in
# order, space separated.
w44_statuses() {
	local st method path body out=
	while IFS=$'\t' read -r st method path body; do
		printf '%s' "$body" | jq -e --arg id "$1" '.eventId == $id' \
			>/dev/null 2>&1 && out="$out${out:+ }$st"
	done <"$w44_dir/requests"
	printf '%s' "$out"
}

# w44_wait_posts EVENTID STATUSES [SECONDS]: wait until the event's posts
# were answered STATUSES.
w44_wait_posts() {
	local got=
	for _ in $(seq $((${3:-$w44_wait_s} * 10))); do
		got=$(w44_statuses "$1")
		[ "$got" = "$2" ] && return 0
		sleep 0.1
	done
	diag "w44: event $1 posted, answers '$got', expected '$2'"
	return 1
}

# w44_row_ms EVENTID T0 [SECONDS]: wait (10 s at most) for the event's
# notification row; print the milliseconds since T0 (date +%s%N), or fail.
w44_row_ms() {
	for _ in $(seq $((${3:-10} * 50))); do
		if [ "$(db_sql "SELECT count(*) FROM notifications
			WHERE event_id = '$1'")" = 1 ]; then
			echo $((($(date +%s%N) - $2) / 1000000))
			return 0
		fi
		sleep 0.02
	done
	return 1
}

# The stub, its requests file and control FIFO.
: >"$w44_dir/requests"
"$AGORA_BUILDDIR/tests/helpers/webhook-stub" "$w44_dir/requests" \
	"$w44_dir/ctl" >"$w44_dir/url" 2>>"$w44_log" &
w44_stub=$!
for _ in $(seq 50); do
	[ -s "$w44_dir/url" ] && break
	sleep 0.1
done
read -r w44_url <"$w44_dir/url" || w44_url=

TOKEN='' api POST /api/auth/signup "$(jq -nc --arg e "u.$w44_tag@example.com" \
	'{email: $e, password: "password-w44", name: "hooked"}')"
w44_uid=$(json .id)
w44_user=$(login "u.$w44_tag@example.com" password-w44) || w44_user=
w44_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || w44_admin=
TOKEN=$w44_admin api POST /api/products "$(jq -nc --arg n "Item $w44_tag" \
	'{name: $n, category: "Webhook test", brand: "Acme", price: 300,
	status: "ACTIVE"}')"
w44_product=$(json .id)
ok '[ -n "$w44_url" ] && [ -n "$w44_user" ] && [ -n "$w44_product" ] &&
	[ -s "$w44_pidfile" ]' "a webhook stub ($w44_url), a user, a product"
if [ -z "$w44_url" ] || ! w44_notifyd_stop; then
	diag "w44: no stub, or notifyd did not stop"
	return 0
fi
w44_hooked=1
w44_notifyd_start NOTIFY_WEBHOOK_URL="$w44_url"

# --- a new notification is posted with its JSON ------------------------------
w44_order
ok '[ "$STATUS" = 201 ] && [ -n "$w44_ev" ] && w44_wait_posts "$w44_ev" 200' \
	"an order's notification is posted to the webhook"
w44_body=$(while IFS=$'\t' read -r st method path body; do
	[ "$method $path" = "POST /hook" ] || continue
	printf '%s' "$body" | jq -e --arg id "$w44_ev" '.eventId == $id' \
		>/dev/null 2>&1 && printf '%s\n' "$body"
done <"$w44_dir/requests")
w44_row=$(db_sql "SELECT id || '|' || user_id || '|' || type || '|' || message
	FROM notifications WHERE event_id = '$w44_ev'")
w44_got=$(printf '%s' "$w44_body" | jq -r --argjson o "${w44_id:-0}" \
	'select(.orderId == $o and (.createdAt | type) == "string")
	| [.id, .userId, .type, .message] | map(tostring) | join("|")' \
	2>/dev/null)
ok '[ -n "$w44_row" ] && [ "$w44_got" = "$w44_row" ]' \
	"POST /hook with the notification's JSON: id, userId, type, message, orderId, createdAt"
ok '[ "$(printf "%s" "$w44_body" | jq -r .message)" = "주문이 생성되었습니다. 주문 번호: $w44_id, 금액: 900원" ]' \
	"with the seed's text"

# --- 500 twice, then 200 ----------------------------------------------------
echo "fail 2" >"$w44_dir/ctl"
w44_order
ok 'w44_wait_posts "$w44_ev" "500 500 200"' \
	"the webhook answers 500 twice: retried, delivered on the third post"
sleep 1
ok '[ "$(w44_statuses "$w44_ev")" = "500 500 200" ] &&
	[ "$(db_sql "SELECT count(*) FROM notifications
	WHERE event_id = '\''$w44_ev'\''")" = 1 ]' \
	"no post after the 200 (3 in all), one notification row"
ok 'grep -q "webhook: attempt 2: HTTP 500" "$w44_log"' \
	"the failed attempts are logged"

# --- the webhook hangs --------------------------------------------------------
# Longer than notifyd's 5 s total timeout per post, and every retry hangs
# again until the stub is reset: a row or a later event that waited for
# the post would not come before the reset at all, and one that waited
# for the post's timeout would come after notifyd logs it. Those events,
# not a clock, are what the checks below compare (the times are shown).
echo "hang 8000" >"$w44_dir/ctl"
w44_t0=$(date +%s%N)
w44_order
w44_hung=$w44_ev
w44_ms=$(w44_row_ms "$w44_hung" "$w44_t0") || w44_ms=
w44_timedout=$(grep -c "webhook: attempt 1: Timeout" "$w44_log")
ok '[ -n "$w44_ms" ] && [ "$w44_timedout" = 0 ]' \
	"webhook hanging: the notification row committed before the post timed out (${w44_ms:-no row} ms)"
ok 'w44_wait_posts "$w44_hung" 200 5' "and its post is being held by the webhook"
w44_later=
w44_slow=
w44_t0=$(date +%s%N)
for _ in 1 2 3; do
	w44_order
	w44_later="$w44_later $w44_ev"
done
for w44_e in $w44_later; do
	w44_ms=$(w44_row_ms "$w44_e" "$w44_t0" "$w44_wait_s") ||
		w44_slow="$w44_slow $w44_e"
done
ok '[ -z "$w44_slow" ]' \
	"webhook hanging: 3 later orders notified while it hangs${w44_slow:+ (missing:$w44_slow)}"
echo "reset" >"$w44_dir/ctl"
w44_lost=
for w44_e in $w44_later; do
	w44_wait_posts "$w44_e" 200 20 || w44_lost="$w44_lost $w44_e"
done
ok '[ -z "$w44_lost" ]' "the later notifications are posted once each after it"
# Posts go one at a time: once the later ones came, the held one is done.
# Each of its attempts but the last timed out (more of them when the
# machine is slow to reach the reset), and the last was delivered.
w44_posts=$(w44_statuses "$w44_hung" | wc -w)
w44_timeouts=$(grep -c "webhook: attempt [0-9]*: Timeout" "$w44_log")
ok '[ "$w44_posts" -ge 2 ] && [ "$w44_posts" = $((w44_timeouts + 1)) ] &&
	! grep -q "webhook: not delivered" "$w44_log"' \
	"the held post timed out, was retried and delivered ($w44_posts posts, $w44_timeouts timeouts)"
ok 'grep -q "webhook: attempt 1: Timeout" "$w44_log"' "the timeout is logged"

w44_cleanup
trap - EXIT
# In Kafka mode the next scenario expects a consumer that has joined.
w44_order
ok '[ -n "$w44_ev" ] && w44_row_ms "$w44_ev" "$(date +%s%N)" \
	"$w44_wait_s" >/dev/null' "notifyd runs again without the webhook"
