-- orders.lua: the wrk script of tests/bench/orders, POST /api/orders.
--
-- BENCH_TOKENS: bearer tokens separated by spaces, one per user; each
-- request goes out with the next one, so that the orders spread over the
-- users. BENCH_PRODUCTS: ids of ACTIVE products separated by commas. Each
-- body orders 1 to 3 distinct products, 1 to 5 of each, picked at random
-- (a seed per thread). done() prints the line tests/bench/run's wrk.lua
-- prints (latencies in milliseconds):
--   BENCH requests=N seconds=S rps=R p50=X p99=Y non2xx=K errors=E

local tokens = {}
for t in string.gmatch(os.getenv("BENCH_TOKENS") or "", "%S+") do
	tokens[#tokens + 1] = t
end
local products = {}
for p in string.gmatch(os.getenv("BENCH_PRODUCTS") or "", "%d+") do
	products[#products + 1] = tonumber(p)
end

local threads = 0
function setup(thread)
	threads = threads + 1
	thread:set("thread_id", threads)
end

local next_token
function init(args)
	if #tokens == 0 or #products < 3 then
		error("BENCH_TOKENS and BENCH_PRODUCTS (3 or more) must be set")
	end
	local id = thread_id or 1
	math.randomseed(os.time() * 100 + id)
	-- Threads start on different users.
	next_token = (id - 1) % #tokens + 1
end

function request()
	local n = math.random(1, 3)
	local picked, items = {}, {}
	while #items < n do
		local p = products[math.random(1, #products)]
		if not picked[p] then
			picked[p] = true
			items[#items + 1] = string.format(
				'{"productId":%d,"quantity":%d}', p,
				math.random(1, 5))
		end
	end
	local token = tokens[next_token]
	next_token = next_token % #tokens + 1
	return wrk.format("POST", "/api/orders", {
		["Content-Type"] = "application/json",
		["Authorization"] = "Bearer " .. token,
	}, '{"items":[' .. table.concat(items, ",") .. ']}')
end

function done(summary, latency, requests)
	local seconds = summary.duration / 1e6
	local e = summary.errors
	io.write(string.format(
		"BENCH requests=%d seconds=%.3f rps=%.1f p50=%.3f p99=%.3f " ..
		"non2xx=%d errors=%d\n",
		summary.requests, seconds, summary.requests / seconds,
		latency:percentile(50) / 1000, latency:percentile(99) / 1000,
		e.status, e.connect + e.read + e.write + e.timeout))
end
