# 40-orders-batch.sh: the order jobs of agora batch: expire-orders on the
# stack's database, prune-outbox on a database of its own (so that the
# stack's consumers cannot move the cursors it checks).
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
o40b_agora=$AGORA_BUILDDIR/src/agora
o40b_dir=$API_STATE/o40b
mkdir -p "$o40b_dir"
o40b_tag=o40b$$$RANDOM
o40b_pg=
case $DATABASE_URL in postgres*) o40b_pg=1 ;; esac

# o40b_run NAME ARGS...: run agora ARGS, stderr to $o40b_dir/NAME.log;
# sets o40b_rc.
o40b_run() {
	local name=$1
	shift
	o40b_rc=0
	"$o40b_agora" "$@" >"$o40b_dir/$name.out" 2>"$o40b_dir/$name.log" ||
		o40b_rc=$?
}

# o40b_ago MINUTES: that long ago, as the database stores time.
o40b_ago() {
	date -u -d "-$1 min" +%Y-%m-%dT%H:%M:%S.000Z
}

o40b_status() {
	db_sql "SELECT status FROM orders WHERE id = $1"
}

o40b_events() {
	db_sql "SELECT type FROM outbox WHERE aggregatetype = 'order' \
AND aggregateid = '$1' ORDER BY seq" | tr '\n' ' ' | sed 's/ $//'
}

o40b_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || o40b_admin=
TOKEN=$o40b_admin api POST /api/products "$(jq -nc --arg n "Batch $o40b_tag" \
	'{name: $n, category: "Orders test", brand: "Acme", price: 700}')"
o40b_p=$(json .id)
o40b_body="{\"items\":[{\"productId\":$o40b_p,\"quantity\":3}]}"

# o40b_order: a new order of the admin's; prints its id.
o40b_order() {
	TOKEN=$o40b_admin api POST /api/orders "$o40b_body"
	json .id
}

# --- expire-orders ---------------------------------------------------------------
o40b_old=$(o40b_order)
o40b_paid=$(o40b_order)
TOKEN=$o40b_admin api POST "/api/orders/$o40b_paid/pay" '{}'
o40b_fresh=$(o40b_order)
o40b_mid=$(o40b_order)
ok '[ -n "$o40b_old" ] && [ -n "$o40b_paid" ] && [ -n "$o40b_fresh" ] &&
	[ -n "$o40b_mid" ]' "four orders, one of them paid"
db_sql "UPDATE orders SET created_at = '$(o40b_ago 31)'
	WHERE id IN ($o40b_old, $o40b_paid)" >/dev/null
db_sql "UPDATE orders SET created_at = '$(o40b_ago 10)'
	WHERE id = $o40b_mid" >/dev/null

o40b_run expire batch expire-orders
ok '[ $o40b_rc = 0 ]' "agora batch expire-orders exits 0"
ok 'grep -q "expire-orders: cancelled [1-9][0-9]* orders\{0,1\} unpaid for 30 minutes" \
	"$o40b_dir/expire.log"' "and logs what it did (ORDER_PAYMENT_TIMEOUT 30 by default)"
ok '[ "$(o40b_status "$o40b_old")" = CANCELLED ]' \
	"a PENDING order older than 30 minutes is CANCELLED"
ok '[ "$(o40b_events "$o40b_old")" = "ORDER_CREATED ORDER_CANCELLED" ]' \
	"with its ORDER_CANCELLED event"
o40b_ev=$(db_sql "SELECT payload FROM outbox WHERE aggregatetype = 'order' \
AND aggregateid = '$o40b_old' AND type = 'ORDER_CANCELLED'")
ok '[ "$(jq -c "{eventType, orderId, totalAmount}" <<<"$o40b_ev")" = \
"{\"eventType\":\"ORDER_CANCELLED\",\"orderId\":$o40b_old,\"totalAmount\":2100}" ]' \
	"whose payload names the order"
ok '[ "$(o40b_status "$o40b_paid")" = PAID ] &&
	[ "$(o40b_events "$o40b_paid")" = "ORDER_CREATED ORDER_PAID" ]' \
	"a PAID order is left alone"
ok '[ "$(o40b_status "$o40b_fresh")" = PENDING ] &&
	[ "$(o40b_status "$o40b_mid")" = PENDING ]' \
	"younger PENDING orders stay PENDING"
TOKEN=$o40b_admin api POST "/api/orders/$o40b_old/pay" '{}'
expect_status 409 "an expired order cannot be paid"
expect_json .message "Order $o40b_old is CANCELLED"

o40b_rc=0
ORDER_PAYMENT_TIMEOUT=5 "$o40b_agora" batch expire-orders \
	>/dev/null 2>"$o40b_dir/expire5.log" || o40b_rc=$?
ok '[ $o40b_rc = 0 ] && [ "$(o40b_status "$o40b_mid")" = CANCELLED ] &&
	[ "$(o40b_status "$o40b_fresh")" = PENDING ]' \
	"ORDER_PAYMENT_TIMEOUT=5 expires a 10-minute-old order, not a new one"
ok '[ "$(o40b_events "$o40b_old")" = "ORDER_CREATED ORDER_CANCELLED" ]' \
	"an order cancelled already gets no second event"
o40b_run expire2 batch expire-orders extra
ok '[ $o40b_rc = 2 ]' "expire-orders takes no arguments (exit 2)"
o40b_rc=0
ORDER_PAYMENT_TIMEOUT=0 "$o40b_agora" batch expire-orders \
	>/dev/null 2>"$o40b_dir/expire0.log" || o40b_rc=$?
ok '[ $o40b_rc != 0 ] && grep -q ORDER_PAYMENT_TIMEOUT "$o40b_dir/expire0.log"' \
	"ORDER_PAYMENT_TIMEOUT=0 is refused, naming the variable"

# Both jobs are in the built-in schedule.
o40b_run cron cron --once --now 2031-05-06T04:43
ok '[ $o40b_rc = 0 ] &&
	grep -q "cron: running expire-orders for 2031-05-06T04:43" "$o40b_dir/cron.log" &&
	grep -q "cron: running prune-outbox --days 7 for 2031-05-06T04:43" "$o40b_dir/cron.log"' \
	"agora cron runs expire-orders every minute and prune-outbox daily"

# --- prune-outbox, on a database of its own ---------------------------------------
for o40b_args in '' '--days' '--days 0' '--days x' '--days 5 --extra'; do
	# shellcheck disable=SC2086
	o40b_run bad batch prune-outbox $o40b_args
	ok '[ $o40b_rc = 2 ] && grep -q "usage: prune-outbox" "$o40b_dir/bad.log"' \
		"prune-outbox '$o40b_args' is a usage error (exit 2)"
done

if [ -n "$o40b_pg" ]; then
	o40b_name=agora_prune_$$
	o40b_base=${DATABASE_URL%%\?*}
	o40b_query=
	[ "$o40b_base" = "$DATABASE_URL" ] || o40b_query="?${DATABASE_URL#*\?}"
	o40b_url=${o40b_base%/*}/$o40b_name$o40b_query
	psql "$DATABASE_URL" -qX -c "CREATE DATABASE $o40b_name" >/dev/null
else
	o40b_url=file:$o40b_dir/prune.db
fi
# o40b_psql SQL: run SQL on the private database.
o40b_psql() {
	DATABASE_URL=$o40b_url db_sql "$1"
}
# o40b_prune NAME [VAR=value...]: prune-outbox --days 7 on it, without
# Kafka unless the VARs say so.
o40b_prune() {
	local name=$1
	shift
	o40b_rc=0
	env -u KAFKA_BROKERS DATABASE_URL="$o40b_url" "$@" \
		"$o40b_agora" batch prune-outbox \
		--days 7 >/dev/null 2>"$o40b_dir/$name.log" || o40b_rc=$?
}
# o40b_row ID CREATED PUBLISHED: an outbox row (PUBLISHED: a time or NULL).
o40b_row() {
	o40b_psql "INSERT INTO outbox (id, aggregatetype, aggregateid, type,
		payload, created_at, published_at) VALUES ('$1', 'order', '1',
		'ORDER_CREATED', '{}', '$2', $3)" >/dev/null
}
# o40b_left: the ids of the rows left, in order.
o40b_left() {
	o40b_psql "SELECT id FROM outbox ORDER BY seq" | tr '\n' ' ' |
		sed 's/ $//'
}
# o40b_consumer NAME ID: NAME's cursor at row ID.
o40b_consumer() {
	o40b_psql "INSERT INTO outbox_offsets (consumer, txid, seq, updated_at)
		SELECT '$1', txid, seq, '$(o40b_ago 0)' FROM outbox
		WHERE id = '$2' ON CONFLICT (consumer) DO UPDATE
		SET txid = excluded.txid, seq = excluded.seq" >/dev/null
}

o40b_rc=0
DATABASE_URL=$o40b_url "$o40b_agora" migrate >/dev/null \
	2>"$o40b_dir/migrate.log" || o40b_rc=$?
ok '[ $o40b_rc = 0 ]' "a private database for prune-outbox"
o40b_long=2020-01-01T00:00:00.000Z
o40b_now=$(o40b_ago 0)
o40b_row r1 "$o40b_long" "'$o40b_long'"
o40b_row r2 "$o40b_long" "'$o40b_long'"
o40b_row r3 "$o40b_long" NULL
o40b_row r4 "$o40b_now" "'$o40b_now'"
o40b_row r5 "$o40b_long" NULL
ok '[ "$(o40b_left)" = "r1 r2 r3 r4 r5" ]' "five outbox rows, four of them old"

# Without Kafka the consumers' cursors decide.
o40b_prune none
ok '[ $o40b_rc = 0 ] && [ "$(o40b_left)" = "r1 r2 r3 r4 r5" ]' \
	"with no consumer recorded nothing is deleted"
ok 'grep -q "no consumer has read the outbox" "$o40b_dir/none.log"' \
	"and the job says why"
o40b_consumer indexd r5
o40b_consumer notifyd r3
o40b_prune cursors
ok '[ $o40b_rc = 0 ] && [ "$(o40b_left)" = "r4 r5" ]' \
	"old rows every consumer has read are deleted, published or not ($(o40b_left))"
ok 'grep -q "prune-outbox: deleted 3 rows older than 7 days" "$o40b_dir/cursors.log"' \
	"the job logs how many"
o40b_consumer notifyd r5
o40b_prune cursors2
ok '[ "$(o40b_left)" = r4 ]' "once the last consumer passes r5 it goes; a new row stays"

# With Kafka only published rows go, and still none a consumer needs.
o40b_row r6 "$o40b_long" NULL
o40b_row r7 "$o40b_long" "'$o40b_long'"
o40b_row r8 "$o40b_long" "'$o40b_long'"
o40b_consumer indexd r8
o40b_consumer notifyd r7
o40b_prune kafka KAFKA_BROKERS=127.0.0.1:9
ok '[ $o40b_rc = 0 ] && [ "$(o40b_left)" = "r4 r6 r8" ]' \
	"with Kafka: an unpublished row stays, and a row a consumer has not read ($(o40b_left))"
o40b_psql "DELETE FROM outbox_offsets" >/dev/null
o40b_prune kafka2 KAFKA_BROKERS=127.0.0.1:9
ok '[ "$(o40b_left)" = "r4 r6" ]' \
	"with Kafka and no table consumer, every old published row goes"

if [ -n "$o40b_pg" ]; then
	psql "$DATABASE_URL" -qX -c "DROP DATABASE IF EXISTS $o40b_name WITH (FORCE)" \
		>/dev/null 2>&1
fi
TOKEN=
