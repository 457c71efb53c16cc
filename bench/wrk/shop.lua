-- One wrk script for every scenario of bench/run.py, chosen by environment variables:
--   BENCH_MODE     hello | home | list | list_deep | detail | search | search_words | cart_add | cart_view
--                  | preview | order | pay | flash
--   BENCH_THREADS  wrk's -t (to split the users between the threads)
--   BENCH_USERS    TSV written by bench/run.py, one signed-in user a line:
--                  user_id, session token, csrf token, address id, cart skus (a,b,c), orders to pay (x,y,z)
--   BENCH_PARAMS   key=value lines: products, skus, flash_sku, list paths, search terms ...
-- Each thread takes its own users (user i goes to thread i % threads) and rotates through them, one
-- user a request; with at least as many users as connections no user has two requests in flight.
-- done() prints one line "BENCH_JSON {...}" that bench/run.py reads.

local mode = os.getenv("BENCH_MODE") or "hello"
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
local threads = {}
local tid_counter = 0

function setup(thread)
   thread:set("tid", tid_counter)
   tid_counter = tid_counter + 1
   table.insert(threads, thread)
end

local function split(s, sep)
   local out = {}
   if s == nil or s == "" then return out end
   for part in string.gmatch(s, "([^" .. sep .. "]+)") do table.insert(out, part) end
   return out
end

local function read_params(path)
   local p = {}
   if not path then return p end
   local f = assert(io.open(path, "r"))
   for line in f:lines() do
      local k, v = string.match(line, "^([%w_]+)=(.*)$")
      if k then p[k] = v end
   end
   f:close()
   return p
end

local function read_users(path, tid)
   local users = {}
   if not path then return users end
   local f = assert(io.open(path, "r"))
   local i = 0
   for line in f:lines() do
      if i % nthreads == tid then
         local c = split(line, "\t")
         table.insert(users, {
            id = c[1], session = c[2], csrf = c[3], address = c[4],
            skus = split(c[5] or "", ","), orders = split(c[6] or "", ","), next_order = 1, next_sku = 1,
         })
      end
      i = i + 1
   end
   f:close()
   return users
end

-- Per thread state (set in init).
local params, users, ui, seq, fixed, fi, anon_cookie
ok, stock_409, other_4xx, server_5xx, other = 0, 0, 0, 0, 0
pay_exhausted = 0
codes = {} -- "status code" -> count, for answers other than 2xx

local function next_user()
   ui = ui % #users + 1
   return users[ui]
end

local function headers_for(u, unsafe)
   local h = { ["Cookie"] = "jiadian_session=" .. u.session .. "; csrftoken=" .. u.csrf }
   if unsafe then
      h["x-csrftoken"] = u.csrf
      h["Content-Type"] = "application/json"
   end
   return h
end

local function get_anon(path)
   return wrk.format("GET", path, { ["Cookie"] = anon_cookie })
end

function init(args)
   math.randomseed(os.time() * 1000 + tid * 7919)
   params = read_params(os.getenv("BENCH_PARAMS"))
   users = read_users(os.getenv("BENCH_USERS"), tid)
   ui, seq, fi = 0, 0, 0
   anon_cookie = "csrftoken=" .. (params.anon_csrf or "")
   -- Read-only scenarios cycle through requests built here, once.
   fixed = {}
   if mode == "hello" then
      table.insert(fixed, get_anon("/bench/hello"))
   elseif mode == "home" then
      table.insert(fixed, get_anon("/api/catalog/home"))
   elseif mode == "list" or mode == "list_deep" then
      for _, path in ipairs(split(params[mode .. "_paths"], " ")) do table.insert(fixed, get_anon(path)) end
   elseif mode == "detail" and params.detail_ids then
      -- A fixed set of products (the scale comparison: the same number of pages at every catalogue size).
      for _, id in ipairs(split(params.detail_ids, " ")) do
         table.insert(fixed, get_anon("/api/catalog/products/" .. id))
      end
   elseif mode == "search" or mode == "search_words" then
      local queries = params.search_terms
      if mode == "search_words" then queries = params.search_words end
      for _, q in ipairs(split(queries, " ")) do
         table.insert(fixed, get_anon("/api/catalog/search?q=" .. q .. "&page=1"))
      end
   end
   -- Only the writing scenarios look at bodies (409 insufficient_stock is an expected answer there).
   if not (mode == "cart_add" or mode == "preview" or mode == "order" or mode == "pay" or mode == "flash") then
      response = nil
   end
end

function request()
   if #fixed > 0 then
      fi = fi % #fixed + 1
      return fixed[fi]
   end
   if mode == "detail" then
      return get_anon("/api/catalog/products/" .. math.random(1, tonumber(params.products)))
   end
   local u = next_user()
   seq = seq + 1
   if mode == "cart_view" then
      return wrk.format("GET", "/api/cart", headers_for(u, false))
   elseif mode == "cart_add" then
      local sku = u.skus[u.next_sku]
      u.next_sku = u.next_sku % #u.skus + 1
      return wrk.format("POST", "/api/cart/items", headers_for(u, true),
         '{"sku_id": ' .. sku .. ', "count": 1}')
   elseif mode == "preview" then
      return wrk.format("POST", "/api/checkout/preview", headers_for(u, true),
         '{"sku_ids": [' .. table.concat(u.skus, ", ") .. ']}')
   elseif mode == "order" or mode == "flash" then
      local sku = params.flash_sku
      if mode == "order" then sku = math.random(1, tonumber(params.skus)) end
      local h = headers_for(u, true)
      h["Idempotency-Key"] = "b" .. tid .. "-" .. seq .. "-" .. math.random(1, 1000000000)
      return wrk.format("POST", "/api/orders", h,
         '{"buy_now": {"sku_id": ' .. sku .. ', "count": 1}, "address_id": ' .. u.address .. '}')
   elseif mode == "pay" then
      local order = u.orders[u.next_order]
      if u.next_order > #u.orders then
         pay_exhausted = pay_exhausted + 1
         order = u.orders[(u.next_order - 1) % #u.orders + 1]
      end
      u.next_order = u.next_order + 1
      return wrk.format("POST", "/api/orders/" .. order .. "/payments", headers_for(u, true),
         '{"method": "wallet"}')
   end
   error("unknown BENCH_MODE " .. mode)
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      ok = ok + 1
      return
   end
   local key = status .. " " .. (body and string.match(body, '"code"%s*:%s*"([%w_]+)"') or "?")
   codes[key] = (codes[key] or 0) + 1
   if status == 409 and body and string.find(body, "insufficient_stock", 1, true) then
      stock_409 = stock_409 + 1
   elseif status >= 500 then
      server_5xx = server_5xx + 1
   elseif status >= 400 then
      other_4xx = other_4xx + 1
   else
      other = other + 1
   end
end

function done(summary, latency, requests)
   local c = { ok = 0, stock_409 = 0, other_4xx = 0, server_5xx = 0, other = 0, pay_exhausted = 0 }
   local all_codes = {}
   for _, t in ipairs(threads) do
      for k, _ in pairs(c) do c[k] = c[k] + (tonumber(t:get(k)) or 0) end
      for k, v in pairs(t:get("codes") or {}) do all_codes[k] = (all_codes[k] or 0) + v end
   end
   local parts = {}
   for k, v in pairs(all_codes) do table.insert(parts, string.format('"%s": %d', k, v)) end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}, ' ..
      '"counts": {"ok": %d, "stock_409": %d, "other_4xx": %d, "server_5xx": %d, "other": %d, ' ..
      '"pay_exhausted": %d}, "codes": {%s}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
      c.ok, c.stock_409, c.other_4xx, c.server_5xx, c.other, c.pay_exhausted, table.concat(parts, ", ")))
end
