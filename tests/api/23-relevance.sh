# 23-relevance.sh: measured relevance on a catalogue seeded by `agora
# seed`: a judged set of Korean and English queries (particles, missing
# spaces, compounds, parts of words, typos, brand + product, category
# words), each with the products a shopper means: the ACTIVE products
# whose name holds the judged words. Per backend: precision@10 (of the
# first ten answered, the share a shopper means) and recall@10 (of what a
# shopper means, the share of min(10, all of it) in the first ten),
# averaged over the queries, each above a floor set from measurement
# (docs/benchmarks.md, Relevance); and the two backends' top ten agree on
# every query.
#
# The catalogue lives in a database of its own, of the pass's dialect
# (SQLite, or PostgreSQL on the postgres and kafka passes), so that it
# changes nothing the other scenarios see; the search responder runs as
# plain CGI on it twice: on the database's full text, and on an
# Elasticsearch stub of its own loaded by `agora reindex`.
# shellcheck shell=bash disable=SC2016,SC2034

s23_dir=$API_STATE/s23
s23_agora=$AGORA_BUILDDIR/src/agora

# Floors: the figures measured when they were set are in
# docs/benchmarks.md; a backend below them has lost relevance.
s23_floor_p=0.95
s23_floor_r=0.95
s23_floor_overlap=1.0

catalogue_open "agora_rel_$$" "$s23_dir"

# s23_schema: the indexes and triggers of products, and the definition
# of product_postings, which a seed into an empty catalogue writes
# elsewhere and puts in its place (on PostgreSQL with nothing left of
# the schema it was written in).
s23_schema() {
	if [ -n "$CAT_PG" ]; then
		catalogue_sql "SELECT indexdef FROM pg_indexes WHERE tablename
			IN ('products', 'product_postings')
			UNION ALL SELECT tgname::text || tgenabled::text
			FROM pg_trigger WHERE tgrelid = 'products'::regclass
			UNION ALL SELECT format('%s %s %s', attname, attstorage,
			attcollation::regcollation) FROM pg_attribute
			WHERE attrelid = 'product_postings'::regclass
			AND attnum > 0 AND NOT attisdropped
			UNION ALL SELECT format('%s %s', conname, contype)
			FROM pg_constraint
			WHERE conrelid = 'product_postings'::regclass
			UNION ALL SELECT nspname FROM pg_namespace
			WHERE nspname NOT LIKE 'pg\_%' ORDER BY 1"
	else
		catalogue_sql "SELECT sql FROM sqlite_master WHERE tbl_name
			IN ('products', 'product_postings') ORDER BY name"
	fi
}

# s23_index: the vocabulary, the postings (a checksum: they are some
# megabytes) and on PostgreSQL the tsvector of every row.
s23_index() {
	catalogue_sql "SELECT term, df FROM search_vocab WHERE df > 0 ORDER BY term"
	if [ -n "$CAT_PG" ]; then
		catalogue_sql "SELECT id, search FROM products ORDER BY id"
		catalogue_sql "SELECT term, bucket, encode(postings, 'hex')
			FROM product_postings ORDER BY term, bucket" | cksum
	else
		catalogue_sql "SELECT term, bucket, hex(postings)
			FROM product_postings ORDER BY term, bucket" | cksum
	fi
	catalogue_sql "SELECT count(*) FROM product_postings"
}

env -i "${CAT_ENV[@]}" "$s23_agora" migrate >"$s23_dir/seed.log" 2>&1
s23_before=$(s23_schema)
env -i "${CAT_ENV[@]}" "$s23_agora" seed --products 2000 --seed 14 \
	>>"$s23_dir/seed.log" 2>&1
s23_rc=$?
# (ok's own statements reset $?: the status is kept first)
ok '[ $s23_rc -eq 0 ]' \
	"agora seed makes a catalogue of 2000 products on $CAT_DIALECT"
# The bulk load sets the triggers and indexes aside and does their work
# once at the end: it leaves them as they were, and the vocabulary and
# postings that `agora reindex` on the database (which counts and
# indexes everything again) would.
ok '[ -n "$s23_before" ] && [ "$(s23_schema)" = "$s23_before" ]' \
	"agora seed leaves the indexes and triggers of products as they were"
s23_seeded=$(s23_index)
env -i "${CAT_ENV[@]}" "$s23_agora" reindex >>"$s23_dir/seed.log" 2>&1
s23_rc=$?
ok '[ $s23_rc -eq 0 ] && [ -n "$s23_seeded" ] &&
	[ "$(s23_index)" = "$s23_seeded" ]' \
	"agora seed counted and indexed the words as agora reindex does"

# On PostgreSQL the seed writes the postings on a second connection, in
# a schema of its own. A role that may not create one (it owns its
# tables, as the role that ran the migrations does, and nothing more)
# gets the same catalogue and postings through the load's connection.
: >"$s23_dir/owned.log"
if [ -n "$CAT_PG" ]; then
	s23_url=$CAT_URL
	s23_role=${CAT_PG}_owner
	s23_host=${s23_url#*//}
	s23_host=${s23_host#*@}
	CAT_URL=postgresql://$s23_role@${s23_host%/*}/${CAT_PG}_owned
	psql "$AGORA_TEST_PG_URL" -qX -c "CREATE ROLE $s23_role LOGIN" \
		-c "CREATE DATABASE ${CAT_PG}_owned" >>"$s23_dir/psql.log" 2>&1
	psql "${s23_url%/*}/${CAT_PG}_owned" -qX \
		-c "GRANT CREATE ON SCHEMA public TO $s23_role" \
		>>"$s23_dir/psql.log" 2>&1
	env -i "${CAT_ENV[@]}" DATABASE_URL="$CAT_URL" "$s23_agora" migrate \
		>>"$s23_dir/owned.log" 2>&1 &&
		env -i "${CAT_ENV[@]}" DATABASE_URL="$CAT_URL" LOG_LEVEL=info \
			"$s23_agora" seed --products 2000 --seed 14 \
			>>"$s23_dir/owned.log" 2>&1
	s23_rc=$?
	ok '[ $s23_rc -eq 0 ] && [ "$(s23_index)" = "$s23_seeded" ] &&
		grep -q "no schema of their own: .*permission denied" \
			"$s23_dir/owned.log"' \
		"a role that may not create a schema seeds the same postings"
	CAT_URL=$s23_url
	psql "$AGORA_TEST_PG_URL" -qX \
		-c "DROP DATABASE IF EXISTS ${CAT_PG}_owned WITH (FORCE)" \
		-c "DROP ROLE IF EXISTS $s23_role" >>"$s23_dir/psql.log" 2>&1
fi

catalogue_stub
env -i "${CAT_ENV[@]}" ELASTICSEARCH_NODE="$CAT_NODE" "$s23_agora" reindex \
	>"$s23_dir/reindex.log" 2>&1
s23_rc=$?
ok '[ $s23_rc -eq 0 ]' "agora reindex loads it into an Elasticsearch stub"

# s23_ids QUERY [NAME=value…]: the top ten ids the search responder
# answers on the catalogue (on Elasticsearch with its node).
s23_ids() {
	local q
	q=$(jq -rn --arg q "$1" '$q | @uri')
	shift
	catalogue_search "q=$q" "$@" |
		jq -r '[.items[].id] | map(tostring) | join(" ")'
}

# s23_score REL TOP: "precision recall hits answered" of TOP against REL.
s23_score() {
	local id hits=0 ntop nrel
	for id in $2; do
		case " $1 " in *" $id "*) hits=$((hits + 1)) ;; esac
	done
	ntop=$(wc -w <<<"$2")
	nrel=$(wc -w <<<"$1")
	awk -v h="$hits" -v t="$ntop" -v n="$nrel" 'BEGIN {
		printf "%.2f %.2f %d %d", t ? h / t : 0,
			n ? h / (n < 10 ? n : 10) : 0, h, t }'
}

s23_n=0
s23_sums="0 0 0 0"
while IFS='|' read -r s23_query s23_words; do
	[ -n "$s23_query" ] || continue
	s23_where="status = 'ACTIVE'"
	IFS=, read -ra s23_w <<<"$s23_words"
	for s23_x in "${s23_w[@]}"; do
		s23_where="$s23_where AND name LIKE '%$s23_x%'"
	done
	s23_rel=$(catalogue_sql "SELECT id FROM products WHERE $s23_where" |
		tr '\n' ' ')
	s23_db=$(s23_ids "$s23_query")
	s23_es=$(s23_ids "$s23_query" ELASTICSEARCH_NODE="$CAT_NODE")
	read -r s23_dp s23_dr s23_dh s23_dt <<<"$(s23_score "$s23_rel" "$s23_db")"
	read -r s23_ep s23_er s23_eh s23_et <<<"$(s23_score "$s23_rel" "$s23_es")"
	s23_ov=$(s23_score "$s23_db" "$s23_es" | cut -d' ' -f1)
	diag "relevance: $s23_query ($(wc -w <<<"$s23_rel") meant):" \
		"$CAT_DIALECT P@10 $s23_dp R@10 $s23_dr," \
		"elasticsearch P@10 $s23_ep R@10 $s23_er, top 10 shared $s23_ov"
	ok "[ -n \"\$s23_rel\" ] && [ $s23_dt -gt 0 ] && [ $s23_et -gt 0 ]" \
		"$s23_query: the judged set and both answers are not empty"
	ok "[ $s23_dt = $s23_et ] && awk 'BEGIN { exit !($s23_ov >= $s23_floor_overlap) }'" \
		"$s23_query: $CAT_DIALECT and elasticsearch share the top 10 ($s23_ov)"
	s23_n=$((s23_n + 1))
	s23_sums=$(awk -v s="$s23_sums" -v a="$s23_dp" -v b="$s23_dr" \
		-v c="$s23_ep" -v d="$s23_er" 'BEGIN { split(s, x, " ");
		print x[1] + a, x[2] + b, x[3] + c, x[4] + d }')
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
read -r s23_dp s23_dr s23_ep s23_er <<<"$(awk -v s="$s23_sums" -v n="$s23_n" \
	'BEGIN { split(s, x, " "); printf "%.3f %.3f %.3f %.3f", x[1] / n,
	x[2] / n, x[3] / n, x[4] / n }')"
diag "relevance: $s23_n queries: $CAT_DIALECT precision@10 $s23_dp" \
	"recall@10 $s23_dr; elasticsearch precision@10 $s23_ep recall@10 $s23_er"
for s23_b in "$CAT_DIALECT $s23_dp $s23_dr" "elasticsearch $s23_ep $s23_er"; do
	read -r s23_name s23_p s23_r <<<"$s23_b"
	ok "awk 'BEGIN { exit !($s23_p >= $s23_floor_p) }'" \
		"precision@10 on $s23_name ($s23_p) is at least $s23_floor_p"
	ok "awk 'BEGIN { exit !($s23_r >= $s23_floor_r) }'" \
		"recall@10 on $s23_name ($s23_r) is at least $s23_floor_r"
done

catalogue_stub_stop
ok '! grep -q -e Sanitizer -e "runtime error:" "$s23_dir/cgi.err" \
	"$s23_dir/stub.log" "$s23_dir/seed.log" "$s23_dir/reindex.log" \
	"$s23_dir/owned.log"' \
	"no sanitizer report from the relevance runs"
