# 24-search-counts.sh: what search counts. The counts per category and
# brand, and per category or brand and price bucket, the database keeps
# as products are created, changed and deleted (product_facets,
# product_price_facets), which answer the total and facets of a search
# without q; and, on a catalogue of more than 10 000 ACTIVE products
# seeded into a database of its own, a total counted exactly up to
# 10 000 and then "at least" (totalRelation gte) on the database and on
# Elasticsearch alike, facets without q exact on both, with q from the
# first 10 000 matches.
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
s24=cnt$$$RANDOM
s24_cat="Counts $s24"
s24_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || s24_admin=
ok '[ -n "$s24_admin" ]' "the admin logs in"

# s24_new BRAND [STATUS]: a product of $s24_cat; prints its id.
s24_new() {
	TOKEN=$s24_admin api POST /api/products "$(jq -nc --arg c "$s24_cat" \
		--arg b "$1" --arg s "${2:-ACTIVE}" '{name: "Counted thing",
		category: $c, brand: $b, price: 100, status: $s}')"
	[ "$STATUS" = 201 ] || echo "# create failed: $(_last)" >&2
	json .id
}

# s24_patch ID JSON
s24_patch() {
	TOKEN=$s24_admin api PATCH "/api/products/$1" "$2"
}

# s24_counts: "brand|n …" of the category as kept, and as counted.
s24_counts() {
	db_sql "SELECT brand || '|' || n FROM product_facets WHERE
		category = '$s24_cat' AND n > 0 ORDER BY brand" | tr '\n' ' '
}
s24_recount() {
	db_sql "SELECT brand || '|' || count(*) FROM products WHERE
		category = '$s24_cat' AND status = 'ACTIVE' GROUP BY brand
		ORDER BY brand" | tr '\n' ' '
}

# s24_check WANT DESC: the kept counts are WANT and a recount's.
s24_check() {
	s24_want=$1 s24_kept=$(s24_counts)
	ok '[ "$s24_kept" = "$s24_want" ] &&
		[ "$s24_kept" = "$(s24_recount)" ]' "$2"
}

# s24_prices WANT DESC: the counts kept per price bucket of the category
# ("cat") and of the brands Xeno and Yarn are WANT: "name:bucket|n ".
s24_prices() {
	s24_want=$1 s24_kept=$(db_sql "SELECT CASE field WHEN 'category' THEN 'cat'
		ELSE value END || ':' || bucket || '|' || n
		FROM product_price_facets WHERE n > 0 AND ((field = 'category'
		AND value = '$s24_cat') OR (field = 'brand'
		AND value IN ('Xeno', 'Yarn'))) ORDER BY 1" | tr '\n' ' ')
	ok '[ "$s24_kept" = "$s24_want" ]' "$2" "kept: $s24_kept"
}

a=$(s24_new Xeno)
b=$(s24_new Yarn)
c=$(s24_new Xeno INACTIVE)
s24_check "Xeno|1 Yarn|1 " "each ACTIVE product created is counted, an INACTIVE one not"
s24_prices "Xeno:100|1 Yarn:100|1 cat:100|2 " "and in its price bucket"
s24_patch "$c" '{"status":"ACTIVE"}'
s24_check "Xeno|2 Yarn|1 " "made ACTIVE, it is counted"
s24_prices "Xeno:100|2 Yarn:100|1 cat:100|3 " "made ACTIVE, in its bucket"
s24_patch "$b" '{"brand":"Xeno"}'
s24_check "Xeno|3 " "a new brand moves the count"
s24_prices "Xeno:100|3 cat:100|3 " "a new brand moves the bucket's count"
s24_patch "$a" "$(jq -nc --arg c "$s24_cat 2" '{category: $c}')"
s24_check "Xeno|2 " "a new category moves it out"
s24_prices "Xeno:100|3 cat:100|2 " "a new category moves it out of the bucket"
s24_patch "$c" '{"name":"Renamed thing","price":12345}'
s24_check "Xeno|2 " "a change of name or price leaves the counts"
s24_prices "Xeno:100|2 Xeno:12000|1 cat:100|1 cat:12000|1 " \
	"a new price moves it to its bucket (12 345: 12 000, two digits)"
s24_patch "$c" '{"status":"INACTIVE"}'
s24_check "Xeno|1 " "made INACTIVE, it is not counted"
s24_prices "Xeno:100|2 cat:100|1 " "made INACTIVE, not in its bucket"
TOKEN=$s24_admin api DELETE "/api/products/$b"
s24_check "" "deleted, it is not counted"
s24_prices "Xeno:100|1 " "deleted, not in its bucket"
TOKEN=$s24_admin api DELETE "/api/products/$a"
TOKEN=$s24_admin api DELETE "/api/products/$c"
settle

# Without q or a price range the facets come from the counts per
# category and brand, with a price range from the counts per bucket:
# the same products.
TOKEN='' api GET "/api/search/products"
s24_all=$(json .facets)
TOKEN='' api GET "/api/search/products?minPrice=0"
ok '[ -n "$s24_all" ] && [ "$(json .facets)" = "$s24_all" ]' \
	"the facets kept and the facets kept per price bucket agree" \
	"kept: $s24_all; per bucket: $(json .facets)"

# --- more than 10 000 matches -------------------------------------------------
s24_dir=$API_STATE/s24
catalogue_open "agora_cnt_$$" "$s24_dir"

env -i "${CAT_ENV[@]}" "$AGORA_BUILDDIR/src/agora" migrate \
	>"$s24_dir/seed.log" 2>&1 &&
	env -i "${CAT_ENV[@]}" "$AGORA_BUILDDIR/src/agora" seed \
		--products 11000 --seed 24 >>"$s24_dir/seed.log" 2>&1
s24_rc=$?
s24_active=$(catalogue_sql "SELECT count(*) FROM products
	WHERE status = 'ACTIVE'")
ok '[ $s24_rc -eq 0 ] && [ "$s24_active" -gt 10000 ]' \
	"a catalogue of more than 10 000 ACTIVE products ($s24_active)"
s24_total=$(catalogue_sql "SELECT n FROM product_total")
ok '[ "$s24_total" = 11000 ]' \
	"the seed adds its products to the kept total ($s24_total)"
catalogue_stub
env -i "${CAT_ENV[@]}" ELASTICSEARCH_NODE="$CAT_NODE" \
	"$AGORA_BUILDDIR/src/agora" reindex >"$s24_dir/reindex.log" 2>&1
s24_rc=$?
ok '[ $s24_rc -eq 0 ]' "agora reindex loads it into an Elasticsearch stub"

# s24_both QUERY: "total relation" on the database and on ES.
s24_both() {
	local db es
	db=$(catalogue_search "$1" | jq -r '"\(.total) \(.totalRelation)"')
	es=$(catalogue_search "$1" ELASTICSEARCH_NODE="$CAT_NODE" |
		jq -r '"\(.total) \(.totalRelation)"')
	echo "$db/$es"
}

# s24_alike QUERY JQ WHAT: QUERY's answer, through JQ, is the same on the
# database and on Elasticsearch, and has a match.
s24_alike() {
	local db es
	db=$(catalogue_search "$1" | jq -c "$2")
	es=$(catalogue_search "$1" ELASTICSEARCH_NODE="$CAT_NODE" | jq -c "$2")
	ok '[ "$(jq .total <<<"$db")" -gt 0 ] && [ "$db" = "$es" ]' \
		"?$1: $3" "database: $db; elasticsearch: $es"
}

s24_books=$(catalogue_sql "SELECT count(*) FROM products WHERE status = 'ACTIVE'
	AND category = 'Books'")
for s24_case in \
	"|10000 gte" "minPrice=0|10000 gte" "q=the+의|10000 gte" \
	"category=Books|$s24_books eq" "minPrice=0&category=Books|$s24_books eq"
do
	s24_q=${s24_case%%|*}
	s24_want=${s24_case#*|}
	s24_got=$(s24_both "$s24_q")
	ok '[ "$s24_got" = "$s24_want/$s24_want" ]' \
		"?$s24_q: total and totalRelation are $s24_want on both backends" \
		"database/elasticsearch: $s24_got"
done

# Facets: exact without q, with or without a price range (from the
# counts), the first 10 000 matches with q (each no more than its exact
# count).
s24_exact=$(catalogue_sql "SELECT category || ':' || count(*) FROM products
	WHERE status = 'ACTIVE' GROUP BY category
	ORDER BY count(*) DESC, category LIMIT 20")
s24_list='.facets.category[] | "\(.value):\(.count)"'
s24_got=$(catalogue_search "" | jq -r "$s24_list")
ok '[ -n "$s24_got" ] && [ "$s24_got" = "$s24_exact" ]' \
	"without q or a price range the facets count every ACTIVE product" \
	"got: $s24_got; counted: $s24_exact"
# Price ranges whose ends fall inside buckets (summed inside, counted
# at the edges), across a power of ten (buckets of 10 000, then of
# 100 000), within one bucket, and open-ended: every facet and total as
# counted in SQL, and as Elasticsearch answers them.
for s24_r in 12345:345678 987654:1234567 120500:129000 77: :5000 \
	150000:2000000; do
	s24_lo=${s24_r%:*} s24_hi=${s24_r#*:}
	s24_q="minPrice=${s24_lo:-0}${s24_hi:+&maxPrice=$s24_hi}"
	s24_in="status = 'ACTIVE' AND price >= ${s24_lo:-0}"
	[ -z "$s24_hi" ] || s24_in="$s24_in AND price <= $s24_hi"
	s24_want=$(catalogue_sql "SELECT category || ':' || count(*)
		FROM products WHERE $s24_in GROUP BY category
		ORDER BY count(*) DESC, category LIMIT 20")
	s24_wantb=$(catalogue_sql "SELECT brand || ':' || count(*)
		FROM products WHERE $s24_in GROUP BY brand
		ORDER BY count(*) DESC, brand LIMIT 20")
	s24_db=$(catalogue_search "$s24_q")
	ok '[ -n "$s24_want" ] &&
		[ "$(jq -r "$s24_list" <<<"$s24_db")" = "$s24_want" ] &&
		[ "$(jq -r ".facets.brand[] | \"\(.value):\(.count)\"" \
			<<<"$s24_db")" = "$s24_wantb" ]' \
		"?$s24_q: the facets count every match" \
		"got: $(jq -c .facets <<<"$s24_db"); counted: $s24_want"
	# the total with the category, the brand, or both filters: those
	# of a match (names without a space, to go in a URL as they are)
	s24_cb=$(catalogue_sql "SELECT 'category=' || category || '&brand='
		|| brand FROM products WHERE $s24_in AND category || brand
		NOT LIKE '% %' AND category || brand NOT LIKE '%&%'
		ORDER BY id LIMIT 1")
	for s24_f in "${s24_cb%&*}" "${s24_cb#*&}" "$s24_cb"; do
		s24_w=${s24_f//&/\' AND }
		s24_n=$(catalogue_sql "SELECT count(*) FROM products
			WHERE $s24_in AND ${s24_w//=/ = \'}'")
		[ "$s24_n" -lt 10000 ] && s24_n="$s24_n eq" ||
			s24_n="10000 gte"
		s24_got=$(s24_both "$s24_q&$s24_f")
		ok '[ "$s24_got" = "$s24_n/$s24_n" ]' \
			"?$s24_q&$s24_f: total $s24_n on both backends" \
			"database/elasticsearch: $s24_got"
	done
	s24_es=$(catalogue_search "$s24_q" ELASTICSEARCH_NODE="$CAT_NODE" |
		jq -c .facets)
	ok '[ "$(jq -c .facets <<<"$s24_db")" = "$s24_es" ]' \
		"?$s24_q: the same facets on Elasticsearch" \
		"database: $(jq -c .facets <<<"$s24_db"); elasticsearch: $s24_es"
	# The page, newest first: SQLite walks the newest products when the
	# range holds many of them, and sorts the range's matches when not.
	for s24_p in "page=2&size=7" "${s24_cb%&*}&page=3&size=5"; do
		s24_alike "$s24_q&$s24_p" '{total, ids: [.items[].id]}' \
			"the same page on both backends"
	done
done
# Fewer than 10 000 matches of q (노트북, about 1 name in 30): the
# database finds them in one scan and answers its page, total and
# facets from it; Elasticsearch answers alike from its own scoring.
for s24_q in "page=3&size=20" "category=Computers&sort=price_asc&page=2" \
	"sort=price_desc&maxPrice=900000&size=7" "brand=Samsung&page=40"; do
	s24_alike "q=%EB%85%B8%ED%8A%B8%EB%B6%81&$s24_q" \
		'{total, totalRelation, facets, ids: [.items[].id]}' \
		"the same page, total and facets on both backends"
done
catalogue_search "q=the+의&minPrice=0&page=500&size=20" >"$s24_dir/deep.json"
ok '[ "$(jq ".items | length" "$s24_dir/deep.json")" = 20 ]' \
	"the 500th page of 20 is there"
# A range whose edge holds 10 000 products or more (every ACTIVE product
# a Book at 123 456, the range ending there): the edge is not read
# whole, and the facets count the first 10 000 matches, as with q.
catalogue_sql "UPDATE products SET price = 123456, category = 'Books'
	WHERE status = 'ACTIVE'"
s24_edge=$(catalogue_search "minPrice=123000&maxPrice=123456")
s24_tot=$(jq -r '"\(.total) \(.totalRelation) \(.facets.category)"' \
	<<<"$s24_edge")
ok '[ "$s24_tot" = "10000 gte [{\"value\":\"Books\",\"count\":10000}]" ]' \
	"a range that ends among $s24_active products of one price counts 10 000 of them" \
	"$(jq -c '{total, totalRelation, facets}' <<<"$s24_edge")"
s24_edge=$(catalogue_search "minPrice=123000&maxPrice=123455")
s24_tot=$(jq -r '"\(.total) \(.totalRelation) \(.facets.category | length)"' \
	<<<"$s24_edge")
ok '[ "$s24_tot" = "0 eq 0" ]' "and a range beside them, none" "$s24_edge"
ok '! grep -q -e Sanitizer -e "runtime error:" "$s24_dir/cgi.err" \
	"$s24_dir/stub.log" "$s24_dir/seed.log" "$s24_dir/reindex.log"' \
	"no sanitizer report" "$(cat "$s24_dir/cgi.err")"
