-- wrk script of bench/servers.sh and bench/load.sh: one request, as the
-- dial page sends it, repeated. From the environment: BENCH_METHOD (GET),
-- BENCH_COOKIE (the session cookie's value), BENCH_CSRF (X-CSRF-Token,
-- sent when set), BENCH_BODY (sent as application/json when set). A POST
-- without a body still says Content-Length: 0, as browsers do (lighttpd
-- answers 411 to one that says nothing). The summary ends with one line
-- of exact figures (microseconds) for the script to read.
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local cookie = os.getenv("BENCH_COOKIE")
if cookie ~= nil and cookie ~= "" then
	wrk.headers["Cookie"] = "session=" .. cookie
end
local csrf = os.getenv("BENCH_CSRF")
if csrf ~= nil and csrf ~= "" then
	wrk.headers["X-CSRF-Token"] = csrf
end
local body = os.getenv("BENCH_BODY")
if body ~= nil and body ~= "" then
	wrk.body = body
	wrk.headers["Content-Type"] = "application/json"
elseif wrk.method ~= "GET" then
	wrk.body = ""
end

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrkstats.lua")
