# 22-analyzer.sh: one definition of a word on every backend: the same q
# finds the same products whatever spaces, punctuation, widths or CJK
# compounds it is written with, and Korean words with a particle, without
# their space or in part find what a shopper means. Run on every pass
# with the same expected ids, so the backends agree with each other.
# Every product is in a category of its own ($s22_cat) that each search
# filters on, so other data cannot change the answers.
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
s22=anl$$$RANDOM
s22_cat="Analyzer $s22"
s22_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || s22_admin=
ok '[ -n "$s22_admin" ]' "the admin logs in"

# s22_new NAME DESCRIPTION: a product of the category; prints its id.
s22_new() {
	TOKEN=$s22_admin api POST /api/products "$(jq -nc --arg n "$1" \
		--arg d "$2" --arg c "$s22_cat" '{name: $n, description: $d,
		category: $c, brand: "Acme", price: 1000}')"
	[ "$STATUS" = 201 ] || echo "# create $1 failed: $(_last)" >&2
	json .id
}

# s22_q Q [EXTRA]: search Q within the category.
s22_q() {
	TOKEN='' api GET "/api/search/products?q=$(jq -rn --arg q "$1" \
		'$q | @uri')&category=$(jq -rn --arg c "$s22_cat" \
		'$c | @uri')&size=20${2:-}"
}

# s22_ids: the ids of the last answer, in order; s22_set: sorted.
s22_ids() {
	json '[.items[].id] | map(tostring) | join(" ")'
}
s22_set() {
	json '[.items[].id] | sort | map(tostring) | join(" ")'
}
s22_sorted() {
	printf '%s\n' "$@" | sort -n | tr '\n' ' ' | sed 's/ $//'
}

a1=$(s22_new "Samsung Galaxy Book" "가벼운 노트북")
a2=$(s22_new "LG Gram 노트북" "Samsung’s rival")
a3=$(s22_new "삼성 노트북 가방" "노트북을 넣는 가방")
a4=$(s22_new "무선 이어폰 Pro" "블루투스 5.3")
a5=$(s22_new "블루투스 스피커 mini" "휴대용")
a6=$(s22_new "스프링 노트" "줄 노트 A5")
a7=$(s22_new "노트북가방 대형" "튼튼한")
ok '[ -n "$a1" ] && [ -n "$a7" ]' "seven products are created"
settle

# --- the same words however they are separated --------------------------
s22_samsung_lg=$(s22_sorted "$a1" "$a2")
while IFS='|' read -r s22_text s22_what; do
	s22_q "$(printf '%b' "$s22_text")"
	expect_status 200 "q=$s22_what answers 200"
	expect_json "$(printf '[.items[].id] | sort | map(tostring) | join(" ")')" \
		"$s22_samsung_lg" "q=$s22_what finds Samsung and LG"
done <<'TABLE'
Samsung LG|Samsung LG (space)
Samsung\u3000LG|Samsung LG (ideographic space)
Samsung\u00a0LG|Samsung LG (no-break space)
Samsung\u2014LG|Samsung—LG (em dash)
Samsung/LG|Samsung/LG
samsung.lg|samsung.lg
SAMSUNG,LG|SAMSUNG,LG
Samsung\u2019s LG|Samsung’s LG (right single quote)
\uff33\uff41\uff4d\uff53\uff55\uff4e\uff47 \uff2c\uff27|Ｓａｍｓｕｎｇ ＬＧ (full width)
TABLE

s22_bags=$(s22_sorted "$a1" "$a2" "$a3" "$a7")
for s22_text in '노트북、가방' '노트북·가방' '노트북 가방' '노트북/가방' \
	'노트북　가방'; do
	s22_q "$s22_text"
	expect_json "$(printf '[.items[].id] | sort | map(tostring) | join(" ")')" \
		"$s22_bags" "q=$s22_text finds the 노트북 and the 가방 products"
done

s22_q "Samsung’s"
expect_json "$(printf '[.items[].id] | sort | map(tostring) | join(" ")')" \
	"$s22_samsung_lg" "q=Samsung’s: the apostrophe separates words"

# --- Korean: particles, missing spaces, parts of words ------------------------
s22_q "노트북을"
expect_json "$(printf '[.items[].id] | sort | map(tostring) | join(" ")')" \
	"$s22_bags" "노트북을 (a particle attached) finds the 노트북 products"
expect_json '.items[-1].id' "$a1" \
	"a match in the description only ranks last"
s22_q "무선이어폰"
expect_json "$(printf '[.items[].id] | map(tostring) | join(" ")')" "$a4" \
	"무선이어폰 (no space) finds 무선 이어폰"
s22_q "블루투스스피커"
expect_json "$(printf '[.items[].id] | map(tostring) | join(" ")')" "$a5" \
	"블루투스스피커 finds 블루투스 스피커, not a description with 블루투스 alone"
s22_q "노트북"
expect_json "$(printf '[.items[].id] | map(tostring) | join(" ")')" \
	"$a3 $a2 $a7 $a1" "노트북: the word in a name, then its bigrams in a \
name (노트북가방), then the word in a description"
s22_q "노트"
expect_json '.items[0].id' "$a6" "노트: the whole word ranks first"
expect_json "$(printf '[.items[].id] | sort | map(tostring) | join(" ")')" \
	"$(s22_sorted "$a1" "$a2" "$a3" "$a6" "$a7")" \
	"노트 (part of a word) also finds 노트북"
s22_q "노트북가방"
expect_json "$(printf '[.items[].id] | map(tostring) | join(" ")')" \
	"$a7 $a3 $a2 $a1" "노트북가방: the compound itself, then 노트북 가방 \
and 노트북 in a name (newest first), then in a description"
s22_q "가"
expect_json '.total' 0 "one syllable is no bigram: 가 finds no 가방"

# --- highlights ------------------------------------------------------------------
a8=$(s22_new '<i>Tiny</i> & "Mon" 모니터' "x<y")
settle
s22_q "노트북"
expect_json "[.items[] | select(.id == $a3) | .highlight.name][0]" \
	"삼성 <em>노트북</em> 가방" "a whole word is marked in the name"
expect_json "[.items[] | select(.id == $a3) | .highlight.description][0]" \
	"<em>노트북</em>을 넣는 가방" \
	"the bigrams that matched are marked, not the particle"
expect_json "[.items[] | select(.id == $a7) | .highlight.name][0]" \
	"<em>노트북</em>가방 대형" "and inside a compound"
expect_json "[.items[] | select(.id == $a2) | .highlight.description][0]" \
	null "a field where nothing matched has no highlight"
s22_q "tiny"
expect_json '.items[0].highlight.name' \
	'&lt;i&gt;<em>Tiny</em>&lt;/i&gt; &amp; &quot;Mon&quot; 모니터' \
	"the rest of the text is HTML-escaped"
expect_json '.items[0].name' '<i>Tiny</i> & "Mon" 모니터' \
	"the name itself is unchanged"
TOKEN='' api GET "/api/search/products?category=$(jq -rn --arg c "$s22_cat" \
	'$c | @uri')"
expect_json '[.items[] | has("highlight")] | any' false \
	"without q there are no highlights"

# --- suggestions ------------------------------------------------------------------
a9=$(s22_new "Acme Laptop ${s22}zeta" "${s22}zeta and ${s22}zebra")
a10=$(s22_new "Acme ${s22}zebra" "")
settle
s22_sug() {
	TOKEN='' api GET "/api/search/suggest?$1"
}
s22_sug "q=${s22}ze"
expect_status 200 "suggest answers 200"
expect_ours
expect_json_raw . "{\"items\":[{\"text\":\"${s22}zebra\",\"count\":2},
{\"text\":\"${s22}zeta\",\"count\":1}]}" \
	"the words that start with q, most frequent first, with their counts"
s22_sug "q=Samsung%20${s22^^}ZE&size=1"
expect_json_raw .items "[{\"text\":\"samsung ${s22}zebra\",\"count\":2}]" \
	"the last word is completed, normalized, after the others; size"
s22_sug "q=$(jq -rn '"노트" | @uri')&size=10"
expect_json '[.items[].text | startswith("노트")] | all' true \
	"노트 completes to words that start with it"
expect_json '[.items[].text] | index("노트북") != null' true \
	"노트북 among them"
expect_json '[.items[].count] == ([.items[].count] | sort | reverse)' true \
	"most frequent first"
TOKEN=$s22_admin api PATCH "/api/products/$a10" '{"status":"INACTIVE"}'
settle
s22_sug "q=${s22}zeb"
expect_json_raw .items "[{\"text\":\"${s22}zebra\",\"count\":1}]" \
	"an INACTIVE product's words are no longer counted"
TOKEN=$s22_admin api DELETE "/api/products/$a9"
settle
s22_sug "q=${s22}ze"
expect_json_raw .items '[]' "nor a deleted one's"
for s22_bad in "size=11&q=a|size must not be greater than 10" \
	"q=a&size=0|size must not be less than 1" \
	"size=3|q should not be empty" \
	"q=|q must be longer than or equal to 1 characters" \
	"q=a&color=red|property color should not exist"; do
	s22_sug "${s22_bad%%|*}"
	expect_status 400 "suggest ${s22_bad%%|*} is 400"
	expect_json "[.message[] | select(. == \"${s22_bad#*|}\")] | length" 1 \
		"suggest ${s22_bad%%|*}: ${s22_bad#*|}"
done

# --- typos ---------------------------------------------------------------------------
a11=$(s22_new "Acme Laptop 15" "${s22}quartz")
settle
s22_q "Laptpo"
expect_json '[.correctedQuery, (.items | map(.id) | index('"$a11"') != null)]' \
	'["laptop",true]' "Laptpo (two letters swapped) is searched as laptop"
expect_json "[.items[] | select(.id == $a11) | .highlight.name][0]" \
	"Acme <em>Laptop</em> 15" "and highlighted as laptop"
s22_q "laptop"
expect_json 'has("correctedQuery")' false "a word that matches is kept"
s22_q "${s22}qaurtz"
expect_json '.correctedQuery' "${s22}quartz" \
	"a long word is corrected within two edits"
s22_q "acme ${s22}qxxxtz"
expect_json 'has("correctedQuery")' false \
	"three edits away is not a correction"
s22_q "xq"
expect_json 'has("correctedQuery")' false "a two-letter word is never corrected"

# --- the reindex analyses everything again -------------------------------------------
TOKEN=$s22_admin api POST /api/admin/reindex/products '{}'
expect_status 201 "the admin reindexes"
if [ "$API_BACKEND" != es ]; then
	# The vocabulary lives in the database; an Elasticsearch reindex
	# leaves it to the database's triggers.
	ok "[ \"\$(db_sql \"SELECT count(*) FROM search_vocab
		WHERE term = '${s22}zeta'\")\" = 0 ]" \
		"the reindex forgets the words no product holds any more"
fi
settle
s22_q "노트북"
expect_json "$(printf '[.items[].id] | map(tostring) | join(" ")')" \
	"$a3 $a2 $a7 $a1" "노트북 ranks the same after the reindex"
