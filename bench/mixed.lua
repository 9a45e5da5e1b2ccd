-- wrk script of bench/load.sh: the dial page's traffic mixed with the
-- provider's. In every 10 requests: 8 status polls (GET of the paths in
-- BENCH_POLLS, in turn, with the session cookie BENCH_COOKIE), 1 signed
-- Twilio webhook (POST BENCH_HOOK_PATH, form body BENCH_HOOK_BODY,
-- X-Twilio-Signature BENCH_HOOK_SIG) and 1 outcome log (POST BENCH_LOG_PATH
-- with the JSON BENCH_LOG_BODY, cookie and X-CSRF-Token BENCH_CSRF).
-- The summary ends with one line of exact figures (bench/wrkstats.lua).
local function env(name)
	local v = os.getenv(name)
	if v == nil or v == "" then
		error("bench/mixed.lua: " .. name .. " is not set")
	end
	return v
end

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrkstats.lua")

cycle(function()
	local session = "session=" .. env("BENCH_COOKIE")
	local polls = {}
	for p in string.gmatch(env("BENCH_POLLS"), "%S+") do
		polls[#polls + 1] = wrk.format("GET", p, { ["Cookie"] = session })
	end
	local hook = wrk.format("POST", env("BENCH_HOOK_PATH"), {
		["Content-Type"] = "application/x-www-form-urlencoded",
		["X-Twilio-Signature"] = env("BENCH_HOOK_SIG"),
	}, env("BENCH_HOOK_BODY"))
	local log = wrk.format("POST", env("BENCH_LOG_PATH"), {
		["Cookie"] = session,
		["X-CSRF-Token"] = env("BENCH_CSRF"),
		["Content-Type"] = "application/json",
	}, env("BENCH_LOG_BODY"))
	local reqs = {}
	for i = 1, 8 do
		reqs[#reqs + 1] = polls[(i - 1) % #polls + 1]
	end
	reqs[#reqs + 1] = hook
	reqs[#reqs + 1] = log
	return reqs
end, 3)
