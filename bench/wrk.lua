-- wrk script for bench/run.py.
-- `wrk ... -s bench/wrk.lua URL -- targets.txt`: each request takes the next line of the file, "<path> [<session
-- cookie>[,<CSRF secret>] | bearer:<API key>]", so the load spreads over several sessions and files, as many citizens' would. Every scenario goes
-- through this same script, so the Lua cost per request is the same on both sides of a ratio.
-- At the end it prints one line "BENCH_JSON {...}" with throughput, latency percentiles (ms) and errors.

local targets = {}
local counter = 0

function init(args)
  for line in io.lines(args[1]) do
    local target_path, cookie = line:match("^(%S+)%s*(%S*)$")
    if target_path then
      local headers = {}
      if cookie:sub(1, 7) == "bearer:" then
        headers["Authorization"] = "Bearer " .. cookie:sub(8)
      elseif cookie ~= "" then
        -- "<session>,<CSRF secret>": a browser's two cookies (the CSRF one set by the first page it showed).
        local session, csrf = cookie:match("^([^,]+),(.+)$")
        if session then
          headers["Cookie"] = "sessionid=" .. session .. "; csrftoken=" .. csrf
        else
          headers["Cookie"] = "sessionid=" .. cookie
        end
      end
      targets[#targets + 1] = wrk.format("GET", target_path, headers)
    end
  end
  -- Each thread has its own Lua state: start them at different places in the list.
  math.randomseed(tonumber(tostring({}):match("0x(%x+)") or "1", 16) % 2147483647)
  counter = math.random(#targets)
end

function request()
  counter = counter % #targets + 1
  return targets[counter]
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "seconds": %.3f, "rps": %.1f, "bytes": %d, ' ..
    '"latency_ms": {"mean": %.2f, "p50": %.2f, "p90": %.2f, "p95": %.2f, "p99": %.2f, "max": %.2f}, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    latency.mean / 1e3, latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
