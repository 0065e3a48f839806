# 46-heartbeat.sh: /api/health knows its daemons. Each writes a heartbeat
# row, idle or busy, with its position; SIGKILLed on an idle stack, the
# daemon's entry (events for notifyd, search for indexd) goes down and
# health answers 503 within BEAT_STALE_S (15 s) plus a margin, with no
# event waiting; restarted, health is 200 again. sqlite, postgres (notifyd)
# and es (indexd) passes: the kafka pass shares its daemons with others.
# shellcheck shell=bash disable=SC2016,SC2034

case $API_BACKEND in
sqlite | postgres) h46_d=notifyd h46_entry=events ;;
es) h46_d=indexd h46_entry=search ;;
*) return 0 ;;
esac

h46_pidfile=$rundir/stack/$h46_d.pid
h46_bin=$AGORA_BUILDDIR/src/agora-$h46_d
# The documented staleness (lib/beat.h), and how much later than that a
# busy machine may be before it counts as a failure.
h46_stale=15
h46_margin=10

# h46_alive PID: the process runs (not a zombie).
h46_alive() {
	local line st
	read -r line 2>/dev/null </proc/"$1"/stat || return 1
	st=${line##*) }
	[ "${st%% *}" != Z ]
}

# h46_health_until CODE SECONDS: poll /api/health until it answers CODE;
# h46_secs is how long that took.
h46_health_until() {
	local start=$SECONDS
	while [ $((SECONDS - start)) -le "$2" ]; do
		api GET /api/health
		if [ "$STATUS" = "$1" ]; then
			h46_secs=$((SECONDS - start))
			return 0
		fi
		sleep 0.5
	done
	h46_secs=$((SECONDS - start))
	diag "health: $STATUS after $h46_secs s: $BODY"
	return 1
}

api GET /api/health
expect_status 200 "health is up with agora-$h46_d running"
expect_json ".details.$h46_entry.$h46_d.status" up \
	"the $h46_entry entry reports agora-$h46_d up"
ok '[ "$(json ".details.$h46_entry.$h46_d.lastSeenSecondsAgo")" -le 3 ]' \
	"seen within a few seconds"
ok '[ "$(db_sql "SELECT count(*) FROM daemon_heartbeats
	WHERE daemon = '\''$h46_d'\''")" -ge 1 ]' \
	"its heartbeat row is in daemon_heartbeats"

if [ "$h46_d" = notifyd ]; then
	# An order: notifyd passes its event, and its position says so.
	TOKEN=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || TOKEN=
	api POST /api/products '{"name":"Heartbeat","category":"Beats",
		"brand":"Acme","price":1000}'
	h46_p=$(json .id)
	api POST /api/orders "{\"items\":[{\"productId\":$h46_p,\"quantity\":1}]}"
	h46_o=$(json .id)
	TOKEN=
	h46_pos=
	for _ in $(seq 50); do
		api GET /api/health
		h46_pos=$(json .details.events.notifyd.position)
		[ "$(json .details.events.backlog)" = 0 ] &&
			[ -n "$h46_pos" ] && break
		sleep 0.2
	done
	ok '[[ $h46_pos =~ ^(txid\ [0-9]+\ )?seq\ [0-9]+$ ]]' \
		"after order $h46_o the heartbeat carries notifyd's position ($h46_pos)"
fi

# --- SIGKILL on an idle stack ----------------------------------------------
read -r h46_pid <"$h46_pidfile" 2>/dev/null || h46_pid=
ok '[ -n "$h46_pid" ] && h46_alive "$h46_pid"' "the stack runs agora-$h46_d"
kill -KILL "$h46_pid" 2>/dev/null
for _ in $(seq 50); do
	h46_alive "$h46_pid" || break
	sleep 0.1
done
ok '! h46_alive "$h46_pid"' "agora-$h46_d SIGKILLed"
h46_health_until 503 $((h46_stale + h46_margin))
_result $? "health turns 503 within $h46_stale s + $h46_margin s ($h46_secs s)"
ok '[ "$h46_secs" -ge $((h46_stale - 3)) ]' \
	"... and not before the heartbeat is stale ($h46_secs s)"
expect_json ".error.$h46_entry.status" down "the $h46_entry entry is down"
expect_json ".error.$h46_entry.$h46_d.status" down "... because of agora-$h46_d"
ok 'json ".error.$h46_entry.message" | grep -q "agora-$h46_d not seen for"' \
	"its message says so ($(json ".error.$h46_entry.message"))"
expect_json .info.database.status up "the database is still up"
[ "$h46_d" != notifyd ] ||
	expect_json .error.events.backlog 0 "with no event waiting"

# Restarted where the stack's stop finds it: health comes back.
"$h46_bin" </dev/null >>"$rundir/stack/error.log" 2>&1 &
echo $! >"$h46_pidfile"
h46_health_until 200 10
_result $? "a new agora-$h46_d brings health back to 200 ($h46_secs s)"
