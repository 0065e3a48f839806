# proc.sh: what the benches read from /proc about the server side: the
# processes of a stack, the CPU they spent and their proportional memory.
# Sourced by tests/bench/run, search and orders.
# shellcheck shell=bash

# proc_tree PID...: these processes and all their descendants, one line
# each. A process whose parent is in the set is in the set: scanned until
# nothing is added, since /proc lists children before their parents when
# pids wrapped.
proc_tree() {
	local set=" $* " f line rest ppid pid grown=1
	while [ -n "$grown" ]; do
		grown=
		for f in /proc/[0-9]*/stat; do
			read -r line 2>/dev/null <"$f" || continue
			pid=${f#/proc/}
			pid=${pid%/stat}
			case $set in *" $pid "*) continue ;; esac
			# After the command name: state, then the parent.
			rest=${line##*) }
			rest=${rest#* }
			ppid=${rest%% *}
			case $set in
			*" $ppid "*)
				set="$set$pid "
				grown=1
				;;
			esac
		done
	done
	printf '%s\n' $set
}

# proc_ticks PID...: CPU time in clock ticks, user and system, of these
# processes and of their children that ended and were waited for (a
# PostgreSQL backend that exits leaves its time to the postmaster).
proc_ticks() {
	local pid line rest sum=0
	local -a v
	for pid in "$@"; do
		read -r line 2>/dev/null <"/proc/$pid/stat" || continue
		rest=${line##*) }
		# shellcheck disable=SC2206
		v=($rest)
		# Fields 14-17 of stat(5): utime stime cutime cstime; rest
		# starts at field 3.
		sum=$((sum + v[11] + v[12] + v[13] + v[14]))
	done
	echo "$sum"
}

# proc_pss_kb PID...: the sum of their proportional set sizes in KiB
# (/proc/PID/smaps_rollup): each shared page counts once across them, so
# the shared libraries are not counted again in every process as VmRSS
# counts them.
proc_pss_kb() {
	local pid kb sum=0
	for pid in "$@"; do
		kb=$(sed -n 's/^Pss:[[:space:]]*\([0-9]*\) kB$/\1/p' \
			"/proc/$pid/smaps_rollup" 2>/dev/null) || kb=
		sum=$((sum + ${kb:-0}))
	done
	echo "$sum"
}

# proc_named NAME PID...: those of PID... whose command is NAME.
proc_named() {
	local name=$1 pid comm
	shift
	for pid in "$@"; do
		read -r comm 2>/dev/null <"/proc/$pid/comm" || continue
		[ "$comm" != "$name" ] || echo "$pid"
	done
}

# proc_us_per_request TICKS REQUESTS: server CPU microseconds a request.
proc_us_per_request() {
	awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.0f", (n > 0 ? t * 1e6 / hz / n : 0) }'
}
