-- The mixed scenarios of bench/mixed.sh: reads of every dialect, searches and writes
-- interleaved on every connection. wrk runs one Lua state per thread; each thread shuffles
-- the same weighted deck of request kinds (seeded by its id) and deals from it in a loop.
-- Names a write creates carry the thread id and a counter, so no two writes collide.
--
-- Filled in by mixed.sh: BENCH_AUTH, ADMIN_AUTH, REPO (an existing bench repository name),
-- DECK (which deck below).

local bench_auth = "BENCH_AUTH"
local admin_auth = "ADMIN_AUTH"
local repo = "REPO"
local words = {"app", "web", "api", "db", "cache", "proxy", "worker", "queue", "auth", "search"}
-- bench/seed.rs's words: repository `i` of the seeded namespace `u%05d` of number `n` is
-- named seed_words[(n * 7 + i) % 20] .. "-" .. i (two digits), public when `i` is even.
local seed_words = {"app", "web", "api", "db", "cache", "proxy", "worker", "queue", "auth",
  "search", "build", "edge", "metrics", "logs", "mail", "media", "static", "admin", "cron",
  "gateway"}

-- kind, weight (per 1000 requests).
local decks = {
  -- Issue 8's mix: 67% reads of every dialect and the web UI, 20% searches (a quarter of
  -- them miss the read cache), 12.8% writes through every dialect (creates land in the bench
  -- user's namespace, which the listings do not read), 0.2% logins (seeded users in turn,
  -- hashes of cost 12).
  mixed = {
    {"dtr-list", 100}, {"dtr-get", 100}, {"alauda-list", 80}, {"alauda-get", 80},
    {"index-users", 70}, {"cloud-list", 60}, {"registryui-list", 80}, {"web-explore", 50},
    {"web-repo", 50},
    {"search", 150}, {"search-uncached", 50},
    {"dtr-create", 30}, {"dtr-patch", 25}, {"alauda-create", 20}, {"cloud-create", 15},
    {"index-push", 25}, {"registryui-create", 13},
    {"alauda-login", 2},
  },
  -- Issue 17's mix: 90% reads of every dialect and the web UI, 10% description edits (DTR
  -- PATCH and Alauda PUT, by the site admin). Reads and edits share the same 20 seeded
  -- namespaces, so edits expire listings and pages that the reads then ask for again.
  edits = {
    {"dtr-list", 110}, {"ns-dtr-get", 90}, {"alauda-list", 90}, {"ns-alauda-get", 90},
    {"index-users", 60}, {"cloud-list", 50}, {"registryui-list", 100}, {"web-explore", 60},
    {"ns-web-repo", 60},
    {"search", 150}, {"search-uncached", 40},
    {"dtr-edit", 50}, {"alauda-edit", 50},
  },
}
local deck_spec = decks["DECK"]

-- Globals on purpose: wrk's setup() sets `tid` in each thread's Lua state, and done() reads
-- each thread's `statuses` with thread:get().
threads = {}
counter = 0
tid = 0
deck = {}
statuses = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(1000 + tid)
  for _, kw in ipairs(deck_spec) do
    for _ = 1, kw[2] do table.insert(deck, kw[1]) end
  end
  for i = #deck, 2, -1 do
    local j = math.random(i)
    deck[i], deck[j] = deck[j], deck[i]
  end
  statuses = {}
end

local json = {["Content-Type"] = "application/json"}

local function h(auth, extra)
  local t = {["Authorization"] = auth}
  if extra then for k, v in pairs(extra) do t[k] = v end end
  return t
end

function request()
  counter = counter + 1
  local kind = deck[(counter % #deck) + 1]
  local uniq = string.format("mx%d-%d", tid, counter)
  local word = words[(counter % #words) + 1]
  -- Listings read the seeded namespaces of other users (their public repositories), so the
  -- writes, which all land in the bench user's namespace, do not grow what is listed.
  local n = (counter % 20) + 1
  local ns = string.format("u%05d", n)
  -- A public repository of that namespace (an even `i`), varying with the counter.
  local i = 2 * (math.floor(counter / 20) % 25)
  local ns_repo = ns .. "/" .. seed_words[(n * 7 + i) % 20 + 1] .. string.format("-%02d", i)
  if kind == "dtr-list" then
    return wrk.format("GET", "/api/v0/repositories/" .. ns, h(bench_auth))
  elseif kind == "dtr-get" then
    return wrk.format("GET", "/api/v0/repositories/bench/" .. repo, h(bench_auth))
  elseif kind == "alauda-list" then
    return wrk.format("GET", "/v1/repositories/" .. ns .. "?page_size=50", h(bench_auth))
  elseif kind == "alauda-get" then
    return wrk.format("GET", "/v1/repositories/bench/" .. repo, h(bench_auth))
  elseif kind == "index-users" then
    return wrk.format("GET", "/v1/users", h(bench_auth))
  elseif kind == "cloud-list" then
    return wrk.format("GET", "/api/repo/v1/bench/repository/", h(bench_auth))
  elseif kind == "registryui-list" then
    return wrk.format("GET", "/udr/v1api/repositories?folder=" .. ns .. "&take=50", h(bench_auth))
  elseif kind == "web-explore" then
    return wrk.format("GET", "/?page=1")
  elseif kind == "web-repo" then
    return wrk.format("GET", "/bench/" .. repo)
  elseif kind == "search" then
    return wrk.format("GET", "/v1/search?q=" .. word .. "&n=25", h(bench_auth))
  elseif kind == "search-uncached" then
    return wrk.format("GET", "/v1/search?q=" .. word .. "&n=25&page=" .. (counter % 7 + 1) .. "&x=" .. uniq, h(bench_auth))
  elseif kind == "ns-dtr-get" then
    return wrk.format("GET", "/api/v0/repositories/" .. ns_repo, h(bench_auth))
  elseif kind == "ns-alauda-get" then
    return wrk.format("GET", "/v1/repositories/" .. ns_repo, h(bench_auth))
  elseif kind == "ns-web-repo" then
    return wrk.format("GET", "/" .. ns_repo)
  elseif kind == "dtr-edit" then
    return wrk.format("PATCH", "/api/v0/repositories/" .. ns_repo, h(admin_auth, json),
      '{"shortDescription":"edited ' .. uniq .. '"}')
  elseif kind == "alauda-edit" then
    return wrk.format("PUT", "/v1/repositories/" .. ns_repo, h(admin_auth, json),
      '{"description":"edited ' .. uniq .. '"}')
  elseif kind == "dtr-create" then
    return wrk.format("POST", "/api/v0/repositories/bench", h(bench_auth, json),
      '{"name":"' .. uniq .. '","shortDescription":"made under load","visibility":"public"}')
  elseif kind == "dtr-patch" then
    return wrk.format("PATCH", "/api/v0/repositories/bench/" .. repo, h(bench_auth, json),
      '{"shortDescription":"patched ' .. uniq .. '"}')
  elseif kind == "alauda-create" then
    return wrk.format("POST", "/v1/repositories/bench", h(bench_auth, json),
      '{"repo_name":"a' .. uniq .. '","description":"made under load","is_public":true}')
  elseif kind == "cloud-create" then
    return wrk.format("POST", "/api/repo/v1/bench/repository/", h(bench_auth, json),
      '{"name":"registry.local/bench/' .. uniq .. '","username":"robot","password":"pw-' .. uniq .. '"}')
  elseif kind == "index-push" then
    return wrk.format("PUT", "/v1/repositories/bench/i" .. uniq .. "/", h(bench_auth, json),
      '[{"id":"' .. string.format("%064x", counter * 64 + tid) .. '"}]')
  elseif kind == "registryui-create" then
    return wrk.format("POST", "/udr/v1api/project/create?repository=bench/r" .. uniq .. "&title=t&isPublic=true", h(admin_auth))
  elseif kind == "alauda-login" then
    -- A different seeded user each time: a credential not yet verified, so a real bcrypt
    -- (cost 12) verification, as when people sign in.
    local user = string.format("u%05d", (tid * 5000 + counter) % 199 + 1)
    return wrk.format("POST", "/v1/generate-api-token", json,
      '{"username":"' .. user .. '","password":"other-password"}')
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for code, n in pairs(s) do total[code] = (total[code] or 0) + n end
  end
  local codes = {}
  for code, n in pairs(total) do table.insert(codes, code .. "=" .. n) end
  table.sort(codes)
  io.write("STATUSES " .. table.concat(codes, " ") .. "\n")
  io.write(string.format("LATENCY p50=%.3f p90=%.3f p99=%.3f max=%.3f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("TOTAL requests=%d seconds=%.1f rps=%.1f errors_connect=%d read=%d write=%d timeout=%d status=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, summary.errors.status))
end
