# 20-products.sh: the catalogue: reads for anyone, writes for an ADMIN,
# validation, versions, and the outbox event of every write.
# shellcheck shell=bash disable=SC2016,SC2034

TOKEN=
p20_tag=p20$$$RANDOM
p20_pw=password-$p20_tag

# p20_has MSG: the last response's message array contains MSG.
p20_has() {
	[ "$(jq --arg m "$1" '.message | index($m) != null' \
		<"$API_BODY" 2>/dev/null)" = true ]
}

# p20_events ID TYPE: how many outbox rows of TYPE the product ID has.
p20_events() {
	db_sql "SELECT count(*) FROM outbox WHERE aggregatetype = 'product' \
AND aggregateid = '$1' AND type = '$2'"
}

# p20_payload ID: the payload of the product's latest outbox event.
p20_payload() {
	db_sql "SELECT payload FROM outbox WHERE aggregatetype = 'product' \
AND aggregateid = '$1' ORDER BY seq DESC LIMIT 1"
}

p20_admin=$(login "$ADMIN_EMAIL" "$ADMIN_PASSWORD") || p20_admin=
TOKEN='' api POST /api/auth/signup "$(jq -nc \
	--arg e "u.$p20_tag@example.com" --arg p "$p20_pw" \
	'{email: $e, password: $p, name: "shopper"}')"
p20_user=$(login "u.$p20_tag@example.com" "$p20_pw") || p20_user=
ok '[ -n "$p20_admin" ] && [ -n "$p20_user" ]' "an admin and a user log in"
[ -z "${DATABASE_URL##postgres*}" ] &&
	TOKEN=$p20_user api POST /api/admin/reindex/products '{}'

p20_body=$(jq -nc --arg n "Desk Lamp $p20_tag" \
	'{name: $n, description: "A warm light", category: "Home Appliances",
	  brand: "Lumo", price: 39000}')

# --- permissions ------------------------------------------------------------
TOKEN='' api POST /api/products "$p20_body"
expect_status 401 "creating a product without a token is 401"
TOKEN=$p20_user api POST /api/products "$p20_body"
expect_status 403 "a USER cannot create a product"
expect_json .message "Forbidden resource"

# --- create -----------------------------------------------------------------
TOKEN=$p20_admin api POST /api/products "$p20_body"
expect_status 201 "the admin creates a product"
expect_ours
p20_id=$(json .id)
expect_json .name "Desk Lamp $p20_tag"
expect_json .category "Home Appliances" "the category keeps its capitals"
expect_json .price 39000
expect_json .status ACTIVE "status defaults to ACTIVE"
expect_json .version 1 "a new product is version 1"
expect_json_raw keys '["brand","category","createdAt","description","id",
"name","price","status","updatedAt","version"]' "the product's fields"
ok '[ "$(p20_events "$p20_id" PRODUCT_UPSERTED)" = 1 ]' \
	"the create wrote one PRODUCT_UPSERTED outbox row"
ok '[ "$(p20_payload "$p20_id" | jq -c "{id,price,version,status,category}")" = \
"{\"id\":$p20_id,\"price\":39000,\"version\":1,\"status\":\"ACTIVE\",\"category\":\"Home Appliances\"}" ]' \
	"the event payload is the document with its version"
ok '[ "$(p20_payload "$p20_id" | jq -c "keys")" = \
"[\"brand\",\"category\",\"created_at\",\"description\",\"id\",\"name\",\"price\",\"status\",\"version\"]" ]' \
	"the event payload has the search document's fields"

# --- read ---------------------------------------------------------------------
TOKEN='' api GET "/api/products/$p20_id"
expect_status 200 "anyone reads a product"
expect_json .id "$p20_id"
expect_json .description "A warm light"
TOKEN='' api GET /api/products/999999999
expect_status 404 "an unknown product is 404"
expect_json_raw . '{"statusCode":404,"message":"Product 999999999 not found",
"error":"Not Found"}' "the 404 names the product"
TOKEN='' api GET /api/products/abc
expect_status 400 "a non-numeric id is 400"
TOKEN='' api GET '/api/products?page=1&size=100'
expect_status 200 "anyone lists products"
expect_json_raw keys '["items","total"]' "the list is {total, items}"
ok '[ "$(json .total)" -ge 1 ]' "the list counts the new product"
expect_json "[.items[] | select(.id == $p20_id)] | length" 1 \
	"the new product is listed"
# total is kept by triggers (product_total), not counted: it must be what
# a count says, and the last page of size 1 the highest id.
p20_total=$(json .total)
p20_count=$(db_sql "SELECT count(*) FROM products")
p20_last=$(db_sql "SELECT max(id) FROM products")
ok '[ "$p20_total" = "$p20_count" ]' "the list's total is the products' count" \
	"total $p20_total, count $p20_count"
TOKEN='' api GET "/api/products?page=$p20_count&size=1"
expect_json_raw '[.total, (.items | map(.id))]' "[$p20_count,[$p20_last]]" \
	"the last page holds the highest id"
# A page in the second half is found from the end of the key: with ten
# more products, each page of size 3 is the slice a query in id order
# gives. They go again after.
p20_more=()
for p20_i in $(seq 10); do
	TOKEN=$p20_admin api POST /api/products \
		"$(jq -c ".name = \"Lamp $p20_tag $p20_i\"" <<<"$p20_body")"
	p20_more+=("$(json .id)")
done
p20_n=$(db_sql "SELECT count(*) FROM products")
for p20_page in $(seq $(((p20_n + 2) / 3))); do
	TOKEN='' api GET "/api/products?page=$p20_page&size=3"
	p20_want=$(db_sql "SELECT id FROM products ORDER BY id LIMIT 3
		OFFSET $(((p20_page - 1) * 3))" | jq -sc .)
	expect_json_raw '[.total, (.items | map(.id))]' "[$p20_n,$p20_want]" \
		"page $p20_page of size 3 (of $p20_n) is its slice in id order"
done
for p20_i in "${p20_more[@]}"; do
	TOKEN=$p20_admin api DELETE "/api/products/$p20_i"
done
ok '[ "$(db_sql "SELECT count(*) FROM products")" = "$p20_count" ]' \
	"the ten are gone again"
TOKEN='' api GET "/api/products?page=$((p20_count + 1))&size=1"
expect_json_raw '[.total, .items]' "[$p20_count,[]]" \
	"a page past the last is empty, with the same total"
TOKEN='' api GET '/api/products?size=101'
expect_status 400 "size above 100 is 400"
TOKEN='' api GET '/api/products?page=0'
expect_status 400 "page 0 is 400"

# --- validation -----------------------------------------------------------------
TOKEN=$p20_admin api POST /api/products '{}'
expect_status 400 "an empty product is 400"
ok 'p20_has "name should not be empty" && p20_has "price should not be empty" &&
p20_has "category should not be empty" && p20_has "brand should not be empty"' \
	"every missing field is named"
TOKEN=$p20_admin api POST /api/products \
	"$(jq -c '.price = -1' <<<"$p20_body")"
expect_status 400 "a negative price is 400"
ok 'p20_has "price must not be less than 0"' "and says so"
TOKEN=$p20_admin api POST /api/products \
	"$(jq -c '.price = "12"' <<<"$p20_body")"
ok 'p20_has "price must be an integer number"' "a string price is refused"
TOKEN=$p20_admin api POST /api/products \
	"$(jq -c '.price = 1.5' <<<"$p20_body")"
ok 'p20_has "price must be an integer number"' "a fractional price is refused"
TOKEN=$p20_admin api POST /api/products \
	"$(jq -c --arg n "$(printf '%0201d' 0)" '.name = $n' <<<"$p20_body")"
ok 'p20_has "name must be shorter than or equal to 200 characters"' \
	"a 201-character name is refused"
TOKEN=$p20_admin api POST /api/products \
	"$(jq -c --arg n "$(printf '가%.0s' $(seq 200))" '.name = $n' \
		<<<"$p20_body")"
expect_status 201 "200 Korean characters are 200 characters, not bytes"
p20_ko=$(json .id)
TOKEN=$p20_admin api POST /api/products \
	"$(jq -c '.category = ""' <<<"$p20_body")"
ok 'p20_has "category must be longer than or equal to 1 characters"' \
	"an empty category is refused"
TOKEN=$p20_admin api POST /api/products \
	"$(jq -c '.status = "DELETED"' <<<"$p20_body")"
ok 'p20_has "status must be one of the following values: ACTIVE, INACTIVE"' \
	"an unknown status is refused"
TOKEN=$p20_admin api POST /api/products "$(jq -c '.id = 5' <<<"$p20_body")"
ok 'p20_has "property id should not exist"' "a client cannot choose the id"
TOKEN=$p20_admin api POST /api/products \
	"$(jq -c --arg d "$(printf '%010001d' 0)" '.description = $d' \
		<<<"$p20_body")"
ok 'p20_has "description must be shorter than or equal to 10000 characters"' \
	"a description over 10000 characters is refused"

# --- update ---------------------------------------------------------------------
TOKEN=$p20_user api PATCH "/api/products/$p20_id" '{"price":1}'
expect_status 403 "a USER cannot update a product"
TOKEN=$p20_admin api PATCH "/api/products/$p20_id" '{"price":42000}'
expect_status 200 "the admin updates the price"
expect_json .price 42000
expect_json .version 2 "an update increments the version"
expect_json .name "Desk Lamp $p20_tag" "fields not sent are kept"
TOKEN=$p20_admin api PATCH "/api/products/$p20_id" \
	'{"status":"INACTIVE","description":null}'
expect_json .version 3 "every update increments the version"
expect_json .status INACTIVE
expect_json .description null "null clears the description"
ok '[ "$(p20_events "$p20_id" PRODUCT_UPSERTED)" = 3 ]' \
	"each update wrote its own outbox row"
ok '[ "$(p20_payload "$p20_id" | jq -c "{version,status}")" = \
"{\"version\":3,\"status\":\"INACTIVE\"}" ]' \
	"the latest event carries version 3"
TOKEN=$p20_admin api PATCH "/api/products/$p20_id" '{"price":-5}'
expect_status 400 "a negative price is refused on update"
TOKEN=$p20_admin api GET "/api/products/$p20_id"
expect_json .version 3 "a refused update changes nothing"
TOKEN=$p20_admin api PATCH /api/products/999999999 '{"price":1}'
expect_status 404 "updating an unknown product is 404"
ok '[ "$(p20_events 999999999 PRODUCT_UPSERTED)" = 0 ]' \
	"and writes no event"

# --- delete -----------------------------------------------------------------------
TOKEN=$p20_user api DELETE "/api/products/$p20_id"
expect_status 403 "a USER cannot delete a product"
TOKEN=$p20_admin api DELETE "/api/products/$p20_id"
expect_status 204 "the admin deletes a product"
expect_ours
TOKEN='' api GET "/api/products/$p20_id"
expect_status 404 "a deleted product is gone"
ok '[ "$(p20_events "$p20_id" PRODUCT_DELETED)" = 1 ]' \
	"the delete wrote a PRODUCT_DELETED outbox row"
ok '[ "$(p20_payload "$p20_id" | jq -c .)" = \
"{\"id\":$p20_id,\"version\":4}" ]' \
	"the delete event outranks the last version"
TOKEN=$p20_admin api DELETE "/api/products/$p20_id"
expect_status 404 "deleting it again is 404"
TOKEN=$p20_admin api DELETE "/api/products/$p20_ko"
expect_status 204 "the Korean-named product is deleted too"
