# 23-relevance.sh: measured relevance on a catalogue seeded by `agora
# seed`: a judged set of Korean and English queries (particles, missing
# spaces, compounds, parts of words, typos, brand + product, category
# words), each with the products a shopper means: the ACTIVE products
# whose name holds the judged words. Per backend: precision@10 (of the
# first ten answered, the share a shopper means) and recall@10 (of what a
# shopper means, the share of min(10, all of it) in the first ten),
# averaged over the queries, each above a floor set from measurement
# (docs/benchmarks.md, Relevance). And the top ten agree across backends:
# each pass runs the same queries on a second backend over the same
# data, through the search responder run as plain CGI: the database's
# full text on the es pass, on the others an Elasticsearch stub of its
# own loaded by `agora reindex`. The es pass asks its Elasticsearch the
# same way, with a timeout of its own: the stack's is short for the
# outage scenarios, and the stub scores every document of a catalogue.
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
s23_dir=$API_STATE/s23
mkdir -p "$s23_dir"
s23_agora=$AGORA_BUILDDIR/src/agora
s23_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || s23_admin=

# Floors: the figures measured when they were set are in
# docs/benchmarks.md; a backend falling below them has lost relevance.
s23_floor_p=0.95
s23_floor_r=0.95
s23_floor_overlap=1.0

"$s23_agora" seed --products 2000 --seed 14 >"$s23_dir/seed.log" 2>&1
ok '[ $? -eq 0 ]' "agora seed adds a catalogue of 2000 products"
if [ "$API_BACKEND" = es ]; then
	# The seed writes no events: the CLI loads Elasticsearch (bulk calls
	# with a longer timeout than the stack's).
	ES_TIMEOUT_MS=30000 "$s23_agora" reindex >"$s23_dir/reindex.log" 2>&1
	ok '[ $? -eq 0 ]' "agora reindex loads the catalogue"
fi

# The second backend, over the same database.
s23_stub_pid=
s23_env=(PATH="$PATH" DATABASE_URL="$DATABASE_URL" JWT_SECRET="$JWT_SECRET"
	LOG_LEVEL=warn ES_TIMEOUT_MS=30000)
for s23_v in TMPDIR ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	[ -z "${!s23_v+set}" ] || s23_env+=("$s23_v=${!s23_v}")
done
if [ "$API_BACKEND" = es ]; then
	s23_other=database
else
	s23_other=elasticsearch
	"$AGORA_BUILDDIR/tests/helpers/es-stub" >"$s23_dir/stub.url" \
		2>"$s23_dir/stub.log" &
	s23_stub_pid=$!
	# the scenario runs in a subshell: its end stops the stub
	trap 'kill -TERM "$s23_stub_pid" 2>/dev/null' EXIT
	for _ in $(seq 50); do
		[ -s "$s23_dir/stub.url" ] && break
		sleep 0.1
	done
	read -r s23_node _ <"$s23_dir/stub.url"
	s23_env+=(ELASTICSEARCH_NODE="$s23_node")
	env -i "${s23_env[@]}" "$s23_agora" reindex >"$s23_dir/reindex.log" \
		2>&1
	ok '[ $? -eq 0 ]' "agora reindex loads a second, Elasticsearch stub"
fi

# s23_cgi_ids QUERY [NAME=value…]: the top ten ids from the search
# responder run as CGI on the second backend (or as told).
s23_cgi_ids() {
	local uri
	uri="/api/search/products?q=$(jq -rn --arg q "$1" '$q | @uri')"
	shift
	env -i "${s23_env[@]}" "$@" GATEWAY_INTERFACE=CGI/1.1 \
		SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD=GET REQUEST_URI="$uri" \
		"$AGORA_BUILDDIR/cgi-bin/search" </dev/null 2>>"$s23_dir/cgi.err" |
		awk 'body { print } /^\r?$/ { body = 1 }' |
		jq -r '[.items[].id] | map(tostring) | join(" ")'
}

# The judged set: query | the words a shopper means (all in the name).
s23_n=0
s23_sum_p=0
s23_sum_r=0
while IFS='|' read -r s23_query s23_words; do
	[ -n "$s23_query" ] || continue
	s23_where="status = 'ACTIVE'"
	IFS=, read -ra s23_w <<<"$s23_words"
	for s23_x in "${s23_w[@]}"; do
		s23_where="$s23_where AND name LIKE '%$s23_x%'"
	done
	s23_rel=" $(db_sql "SELECT id FROM products WHERE $s23_where" |
		tr '\n' ' ')"
	s23_nrel=$(wc -w <<<"$s23_rel")
	if [ "$API_BACKEND" = es ]; then
		s23_top=$(s23_cgi_ids "$s23_query" \
			ELASTICSEARCH_NODE="$ELASTICSEARCH_NODE")
	else
		TOKEN='' api GET "/api/search/products?q=$(jq -rn \
			--arg q "$s23_query" '$q | @uri')"
		s23_top=$(json '[.items[].id] | map(tostring) | join(" ")')
	fi
	s23_hits=0
	for s23_id in $s23_top; do
		case $s23_rel in *" $s23_id "*) s23_hits=$((s23_hits + 1)) ;; esac
	done
	s23_ntop=$(wc -w <<<"$s23_top")
	read -r s23_p s23_r <<<"$(awk -v h="$s23_hits" -v t="$s23_ntop" \
		-v n="$s23_nrel" 'BEGIN { printf "%.2f %.2f", t ? h / t : 0,
		h / (n < 10 ? n : 10) }')"
	s23_o=$(s23_cgi_ids "$s23_query")
	s23_common=0
	for s23_id in $s23_top; do
		case " $s23_o " in *" $s23_id "*) s23_common=$((s23_common + 1)) ;; esac
	done
	s23_ov=$(awk -v c="$s23_common" -v a="$s23_ntop" \
		-v b="$(wc -w <<<"$s23_o")" 'BEGIN { m = a > b ? a : b;
		printf "%.2f", m ? c / m : 1 }')
	diag "relevance $API_BACKEND: $s23_query: P@10 $s23_p R@10 $s23_r" \
		"($s23_hits of $s23_ntop answered, $s23_nrel meant)," \
		"top 10 shared with $s23_other $s23_ov"
	ok "[ $s23_nrel -gt 0 ] && [ $s23_ntop -gt 0 ]" \
		"$s23_query: the judged set and the answer are not empty"
	ok "awk 'BEGIN { exit !($s23_ov >= $s23_floor_overlap) }'" \
		"$s23_query: the top 10 on $API_BACKEND and $s23_other overlap ($s23_ov)"
	s23_n=$((s23_n + 1))
	s23_sum_p=$(awk -v a="$s23_sum_p" -v b="$s23_p" 'BEGIN { print a + b }')
	s23_sum_r=$(awk -v a="$s23_sum_r" -v b="$s23_r" 'BEGIN { print a + b }')
done <<'JUDGED'
노트북을|노트북
무선이어폰|무선 이어폰
블루투스스피커|블루투스 스피커
전기밥솥을|전기밥솥
요가매트|요가 매트
게임패드는|게임 패드
노트|노트
스마트|스마트
Laptpo|Laptop
Refrigerater|Refrigerator
Headphnoes|Headphones
Samsung 노트북|노트북
LG 냉장고|냉장고
Apple Smartwatch|Smartwatch
카메라|카메라
Camera|Camera
공기청정기|공기청정기
wireless earbuds|Wireless Earbuds
JUDGED
read -r s23_mp s23_mr <<<"$(awk -v p="$s23_sum_p" -v r="$s23_sum_r" \
	-v n="$s23_n" 'BEGIN { printf "%.3f %.3f", p / n, r / n }')"
diag "relevance $API_BACKEND: $s23_n queries, precision@10 $s23_mp," \
	"recall@10 $s23_mr"
ok "awk 'BEGIN { exit !($s23_mp >= $s23_floor_p) }'" \
	"precision@10 on $API_BACKEND ($s23_mp) is at least $s23_floor_p"
ok "awk 'BEGIN { exit !($s23_mr >= $s23_floor_r) }'" \
	"recall@10 on $API_BACKEND ($s23_mr) is at least $s23_floor_r"

if [ -n "$s23_stub_pid" ]; then
	kill -TERM "$s23_stub_pid" 2>/dev/null
	wait "$s23_stub_pid" 2>/dev/null
fi
ok '! grep -q -e Sanitizer -e "runtime error:" "$s23_dir/cgi.err" \
	"$s23_dir/stub.log" 2>/dev/null' \
	"no sanitizer report from the second backend"
