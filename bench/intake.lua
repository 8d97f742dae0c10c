-- wrk script for the intake benchmark: every request is the next pre-generated
-- event (x-event-type and body) from the file written by bench/payloads.py.
-- Arguments: <requests file> <store id> <api key> <threads> [<path>]
-- Thread k sends events k, k+n, k+2n, ... so threads never send the same event.
-- No response() hook: it makes wrk parse every header into a table; statuses
-- above 399 are counted by wrk itself (summary.errors.status).

local requests = {}
local position = 1
local stride = 1
local thread_count = 0

local function load(file_name, api_key, path)
  local file = assert(io.open(file_name, "rb"))
  local list = {}
  while true do
    local header = file:read("*l")
    if header == nil then break end
    local event_type, length = header:match("^(.*) (%d+)$")
    local body = file:read(tonumber(length))
    local headers = {
      ["Content-Type"] = "application/json",
      ["x-event-type"] = event_type,
      ["x-token"] = api_key,
    }
    list[#list + 1] = wrk.format("POST", path, headers, body)
  end
  file:close()
  return list
end

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_number", thread_count)
end

function init(args)
  local path = args[5] or ("/webhooks/store/" .. args[2])
  requests = load(args[1], args[3], path)
  stride = tonumber(args[4])
  position = thread_number
end

function request()
  local item = requests[position]
  position = position + stride
  if position > #requests then position = position - #requests end
  return item
end

function done(summary, latency, requests_done)
  io.write(string.format(
    "WRK_JSON {\"requests\": %d, \"duration_us\": %d, \"errors_connect\": %d, " ..
    "\"errors_read\": %d, \"errors_write\": %d, \"errors_status\": %d, " ..
    "\"errors_timeout\": %d, \"p50_us\": %d, \"p90_us\": %d, \"p99_us\": %d, " ..
    "\"max_us\": %d, \"mean_us\": %.1f}\n",
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
