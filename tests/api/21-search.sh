# 21-search.sh: product search: words, exact filters, price bounds,
# facets, sorts, Korean, hostile text, every 400, and the reindex.
# Every product carries a word of its own ($s21), so other data cannot
# change the counts; `settle` waits for an eventually consistent index.
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
s21=srch$$$RANDOM
s21_cat="Gadgets $s21"
s21_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || s21_admin=
ok '[ -n "$s21_admin" ]' "the admin logs in"

# s21_new NAME DESCRIPTION CATEGORY BRAND PRICE [STATUS]: prints the id.
s21_new() {
	TOKEN=$s21_admin api POST /api/products "$(jq -nc --arg n "$1" \
		--arg d "$2" --arg c "$3" --arg b "$4" --argjson p "$5" \
		--arg s "${6:-ACTIVE}" '{name: $n, description: $d,
		category: $c, brand: $b, price: $p, status: $s}')"
	[ "$STATUS" = 201 ] || echo "# create $1 failed: $(_last)" >&2
	json .id
}

# s21_get QUERY: search with a raw query string.
s21_get() {
	TOKEN='' api GET "/api/search/products?$1"
}

# s21_ids: the ids of the last answer, in order, space-separated.
s21_ids() {
	json '[.items[].id] | map(tostring) | join(" ")'
}

# s21_has MSG: the last response's message array contains MSG.
s21_has() {
	[ "$(jq --arg m "$1" '.message | index($m) != null' \
		<"$API_BODY" 2>/dev/null)" = true ]
}

p1=$(s21_new "$s21 Galaxy Laptop" "light and thin" "Home Appliances" Acme 1000)
p2=$(s21_new "Plain Kettle" "boils water, $s21 inside" "Home Appliances" \
	Bolt 2000)
p3=$(s21_new "$s21 Fridge" "cold" "home appliances" Acme 3000)
p4=$(s21_new "$s21 Hidden" "inactive" "$s21_cat" Acme 1500 INACTIVE)
p5=$(s21_new "$s21 Doomed" "to be deleted" "$s21_cat" Acme 1200)
p6=$(s21_new "$s21 노트북 가방" "한국어 설명입니다" "$s21_cat" Bolt 5000)
p7=$(s21_new "Mug $s21" "ceramic" "$s21_cat" Crest 700)
ok '[ -n "$p1" ] && [ -n "$p7" ] && [ "$p7" -gt "$p1" ]' \
	"seven products are created"
TOKEN=$s21_admin api DELETE "/api/products/$p5"
expect_status 204 "one of them is deleted"
settle

# --- words, status, relevance -----------------------------------------------
s21_get "q=$s21"
expect_status 200 "a search answers 200"
expect_ours
expect_json_raw keys '["facets","items","total","totalRelation"]' \
	"the answer is {total, totalRelation, items, facets}"
expect_json .total 5 "q finds the active products, not the inactive or deleted"
expect_json "[.items[].id] | sort | map(tostring) | join(\" \")" \
	"$(printf '%s\n' "$p1" "$p2" "$p3" "$p6" "$p7" | sort -n | tr '\n' ' ' |
		sed 's/ $//')" "the matches are exactly the five active ones"
expect_json '[.items[] | keys] | unique' \
	'[["brand","category","created_at","description","highlight","id","name","price","status"]]' \
	"items have the document shape, and a highlight with q"
expect_json '.items[-1].id' "$p2" \
	"a description-only match ranks below every name match"
expect_json '[.items[].status] | unique' '["ACTIVE"]' "only ACTIVE items"

s21_get "q=$s21%20Galaxy"
expect_json '.items[0].id' "$p1" "matching more words ranks higher"
expect_json .total 5 "words are OR-ed"

# --- exact filters and facets --------------------------------------------------
s21_get "q=$s21&category=Home%20Appliances"
expect_json .total 2 "category matches exactly, capitals and space included"
expect_json "[.items[].id] | sort | map(tostring) | join(\" \")" \
	"$p1 $p2" "the two Home Appliances products"
expect_json_raw '.facets.category' "[{\"value\":\"$s21_cat\",\"count\":2},
{\"value\":\"Home Appliances\",\"count\":2},
{\"value\":\"home appliances\",\"count\":1}]" \
	"category facets count the matches before the category filter"
expect_json_raw '.facets.brand' '[{"value":"Acme","count":2},
{"value":"Bolt","count":2},{"value":"Crest","count":1}]' \
	"brand facets too"
s21_get "q=$s21&category=home%20appliances"
expect_json "$(printf '[.total, .items[0].id]')" "[1,$p3]" \
	"a category differing only in case is another category"
s21_get "q=$s21&category=Home"
expect_json .total 0 "a category is not a word to match"
expect_json '.items | length' 0
s21_get "q=$s21&brand=Acme&category=Home%20Appliances"
expect_json "[.items[].id] | map(tostring) | join(\" \")" "$p1" \
	"brand and category filters combine"
expect_json .total 1

# --- price bounds ---------------------------------------------------------------
s21_get "q=$s21&minPrice=2000&maxPrice=3000"
expect_json "[.items[].id] | sort | map(tostring) | join(\" \")" \
	"$p2 $p3" "price bounds are inclusive at both ends"
expect_json_raw '.facets.brand' '[{"value":"Acme","count":1},
{"value":"Bolt","count":1}]' "facets describe the price-filtered matches"
s21_get "q=$s21&minPrice=3000&maxPrice=3000"
expect_json "[.items[].id] | map(tostring) | join(\" \")" "$p3" \
	"minPrice = maxPrice finds that price"
s21_get "q=$s21&maxPrice=999"
expect_json "[.items[].id] | map(tostring) | join(\" \")" "$p7" \
	"maxPrice alone"

# --- sorts and pages --------------------------------------------------------------
s21_get "q=$s21&sort=price_asc"
expect_json '[.items[].price] | map(tostring) | join(" ")' \
	"700 1000 2000 3000 5000" "price_asc"
s21_get "q=$s21&sort=price_desc"
expect_json '[.items[].price] | map(tostring) | join(" ")' \
	"5000 3000 2000 1000 700" "price_desc"
s21_get "q=$s21&sort=newest"
expect_json "[.items[].id] | map(tostring) | join(\" \")" \
	"$p7 $p6 $p3 $p2 $p1" "newest first"
s21_get "category=$(jq -rn --arg c "$s21_cat" '$c | @uri')"
expect_json "[.items[].id] | map(tostring) | join(\" \")" "$p7 $p6" \
	"without q, relevance is newest first"
expect_json .total 2 "without q, every active product of the filter"
s21_get "q=$s21&sort=price_asc&page=2&size=2"
expect_json '[.items[].price] | map(tostring) | join(" ")' "2000 3000" \
	"page 2 of size 2"
expect_json .total 5 "total counts every match, not the page"
s21_get "q=$s21&page=3&size=2"
expect_json '.items | length' 1 "the last page holds the rest"

# --- Korean -------------------------------------------------------------------------
s21_get "q=$(jq -rn '"노트북" | @uri')&category=$(jq -rn --arg c "$s21_cat" \
	'$c | @uri')"
expect_json "[.items[].id] | map(tostring) | join(\" \")" "$p6" \
	"a Korean word in the name matches"
s21_get "q=$(jq -rn '"가방" | @uri')&category=$(jq -rn --arg c "$s21_cat" \
	'$c | @uri')"
expect_json "[.items[].id] | map(tostring) | join(\" \")" "$p6" \
	"a two-syllable Korean word matches"
s21_get "q=$(jq -rn '"한국어" | @uri')&category=$(jq -rn --arg c "$s21_cat" \
	'$c | @uri')"
expect_json "[.items[].id] | map(tostring) | join(\" \")" "$p6" \
	"a Korean word in the description matches"

# --- hostile text is plain text ------------------------------------------------------
for s21_q in "\"$s21\"" "$s21 OR" "-$s21" "$s21*" "$s21 AND" "($s21" \
	"$s21:" "NEAR($s21 zzq)" "'$s21'" "$s21\\" "^$s21" "{$s21}"; do
	s21_get "q=$(jq -rn --arg q "$s21_q" '$q | @uri')"
	expect_status 200 "q=$s21_q is searched as plain text"
	expect_json .total 5 "q=$s21_q finds the word's products"
done
for s21_q in '*:*' '"' '""' '*' 'AND' ')' "'" '\' 'NEAR(' '-' ':' \
	'title:x OR 1=1'; do
	s21_get "q=$(jq -rn --arg q "$s21_q" '$q | @uri')&category=$(jq -rn \
		--arg c "$s21_cat" '$c | @uri')"
	expect_status 200 "q=$s21_q is not a query language"
	expect_json .total 0 "q=$s21_q matches no product"
done

# --- INACTIVE and back, renames -------------------------------------------------------
TOKEN=$s21_admin api PATCH "/api/products/$p1" '{"status":"INACTIVE"}'
settle
s21_get "q=$s21&brand=Acme"
expect_json "[.items[].id] | map(tostring) | join(\" \")" "$p3" \
	"a product made INACTIVE leaves the results"
TOKEN=$s21_admin api PATCH "/api/products/$p1" '{"status":"ACTIVE"}'
TOKEN=$s21_admin api PATCH "/api/products/$p7" \
	"$(jq -nc --arg n "Teapot ${s21}renamed" '{name: $n}')"
settle
s21_get "q=$s21&brand=Acme"
expect_json .total 2 "and comes back when ACTIVE again"
s21_get "q=${s21}renamed"
expect_json "[.items[].id] | map(tostring) | join(\" \")" "$p7" \
	"a renamed product is found by its new name"
s21_get "q=Mug&brand=Crest"
expect_json .total 0 "and no longer by its old one"

# --- 400s -------------------------------------------------------------------------------
s21_bad() {
	s21_get "$1"
	expect_status 400 "${3:-$1 is 400}"
	ok "s21_has $(printf '%q' "$2")" "$1: \"$2\""
}
s21_bad "size=0" "size must not be less than 1"
s21_bad "size=101" "size must not be greater than 100"
s21_bad "page=0" "page must not be less than 1"
s21_bad "page=-1" "page must not be less than 1"
s21_bad "minPrice=-1" "minPrice must not be less than 0"
s21_bad "maxPrice=-5" "maxPrice must not be less than 0"
s21_bad "minPrice=10&maxPrice=5" "maxPrice must not be less than minPrice"
s21_bad "page=101&size=100" "page * size must not be greater than 10000"
s21_bad "page=1001" "page * size must not be greater than 10000" \
	"page 1001 at the default size 10 is 400"
s21_bad "page=9223372036854775807&size=100" \
	"page * size must not be greater than 10000"
s21_bad "sort=cheapest" \
	"sort must be one of the following values: relevance, price_asc, price_desc, newest"
s21_bad "minPrice=abc" "minPrice must be an integer number"
s21_bad "minPrice=1.5" "minPrice must be an integer number"
s21_bad "q=a&q=b" "q must be a string"
s21_bad "category=" "category must be longer than or equal to 1 characters"
s21_bad "q=$(printf 'a%.0s' $(seq 201))" \
	"q must be shorter than or equal to 200 characters"
s21_bad "color=red" "property color should not exist"
s21_get "page=1000&size=10"
expect_status 200 "page * size = 10000 is allowed"
s21_get "minPrice=5&maxPrice=5"
expect_status 200 "minPrice = maxPrice is allowed"
s21_get "minPrice=10&maxPrice=5"
expect_json_raw '[.statusCode, .error, (.message | type)]' \
	'[400, "Bad Request", "array"]' "a 400 has the validation shape"

# --- reindex and health ------------------------------------------------------------------
TOKEN='' api POST /api/admin/reindex/products '{}'
expect_status 401 "reindex without a token is 401"
TOKEN=$s21_admin api POST /api/auth/signup "$(jq -nc \
	--arg e "s21.$s21@example.com" \
	'{email: $e, password: "password-s21x", name: "s"}')"
s21_user=$(login "s21.$s21@example.com" password-s21x) || s21_user=
TOKEN=$s21_user api POST /api/admin/reindex/products '{}'
expect_status 403 "a USER cannot reindex"
TOKEN=$s21_admin api POST /api/admin/reindex/products '{}'
expect_status 201 "the admin reindexes"
expect_ours
expect_json '[(.indexed | type), (.index | type), (.tookMs | type)]' \
	'["number","string","number"]' "the reindex answers {indexed, index, tookMs}"
ok '[ "$(json .indexed)" -ge 5 ]' "it indexed at least the active products"
settle
s21_get "q=$s21"
expect_json .total 4 "search answers the same after the reindex (the \
renamed product lost the word)"
TOKEN='' api GET /api/health
expect_json .details.search.status up "health reports search up"
