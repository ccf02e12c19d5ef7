-- wrk script for scripts/bench-wrk: posts chat messages to POST /api/chat.
-- Arguments (after `--`): the messages file (one JSON string per line), the sessions file
-- (one session id per line). Thread t of T sends messages t, t+T, t+2T… so no two
-- requests of the run carry the same message until the file is used up; each request
-- takes the next session in turn. `done` says how many messages were sent against how
-- many the file holds (more means some were repeated: cache hits).

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local function read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if line ~= "" then lines[#lines + 1] = line end
  end
  return lines
end

function init(args)
  messages = read_lines(args[1])
  sessions = read_lines(args[2])
  nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
  next_index = id
  headers = { ["Content-Type"] = "application/json" }
end

function request()
  local i = next_index
  next_index = next_index + nthreads
  local text = messages[(i % #messages) + 1]
  local session = sessions[(i % #sessions) + 1]
  return wrk.format("POST", "/api/chat", headers,
    '{"session":"' .. session .. '","text":' .. text .. '}')
end

function done(summary, latency, requests)
  local sent = summary.requests
  local held = tonumber(os.getenv("WRK_MESSAGES") or "0")
  io.write(string.format("wrk: %d requests, %d non-2xx, %d socket errors; %d messages in the file%s\n",
    sent, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    held, (held > 0 and sent > held) and " (used up: some were repeated)" or ""))
  io.write(string.format("wrk: latency ms p50 %.2f p90 %.2f p99 %.2f max %.2f\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
