--[[
  Atomic state transitions of one run and its nodes, each with its event; one or several per call.

  Every transition checks, in order: the caller still holds the run's lease (when it names one), the
  run is in one of the expected run statuses, the node (or the run) is in one of the expected
  statuses. Only when all hold does it write its fields, take the next seq, and append its event to
  the run's event list (for replay), to the global event stream (for the writer) and publish it (for
  live subscribers). So a seq is never taken without its event, and no event is emitted for a
  transition that did not happen.

  Several transitions in one call are applied in order, each checked against the state the ones
  before it left, exactly as if they were sent one after another on one connection, but with one
  script call: the executor sends a whole scheduling step (a node's start and end, the next node's
  queueing, the run's end) this way.

  KEYS[1] state hash of the run (run fields, and node fields as "n:<nodeId>:<field>")
  KEYS[2] list of the run's events, in seq order
  KEYS[3] global event stream
  KEYS[4] lease key of the run

  ARGV[1] lease token; '' skips the lease check (the API acting on a run no worker holds)
  ARGV[2] pub/sub channel for the events
  ARGV[3..] the transitions, each as 7 values and then its field, value pairs:
    node id ('' checks the run's own status against the expected statuses),
    expected statuses of the node (or run), '|'-separated ('' accepts any),
    expected run statuses, '|'-separated ('' accepts any),
    event JSON without its opening '{' and without seq ('' emits no event),
    seconds until the state and event list expire (0 leaves them as they are; -1 makes them
      permanent again: a finished run that is retried),
    '1' to release the lease afterwards (the run's last transition by its driver), else '',
    how many field and value items follow (twice the number of fields)

  Returns two values per transition, in order: a code and a status.
    code >= 0     applied; the seq of its event (0 when none was emitted)
    -1            the lease is held by someone else, or by nobody
    -2, status    the node (or run) is not in an expected status; status is what it is
    -3, status    the run is not in an expected status; status is what it is
    -4            the run does not exist
  The status is '' where there is none.
]]
local stateKey, eventsKey, streamKey, leaseKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local token, channel = ARGV[1], ARGV[2]

local function contains(list, value)
  if list == '' then return true end
  for item in string.gmatch(list, '([^|]+)') do
    if item == value then return true end
  end
  return false
end

-- One transition whose values start at ARGV[i]; returns code, status.
local function apply(i)
  local nodeId, expected, expectedRun, body = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local ttl, release, count = tonumber(ARGV[i + 4]), ARGV[i + 5], tonumber(ARGV[i + 6])

  local runStatus = redis.call('HGET', stateKey, 'status')
  if not runStatus then return -4, '' end
  if token ~= '' and redis.call('GET', leaseKey) ~= token then return -1, '' end
  if not contains(expectedRun, runStatus) then return -3, runStatus end
  if nodeId ~= '' then
    local nodeStatus = redis.call('HGET', stateKey, 'n:' .. nodeId .. ':status') or ''
    if not contains(expected, nodeStatus) then return -2, nodeStatus end
  elseif not contains(expected, runStatus) then
    return -2, runStatus
  end

  if count > 0 then
    redis.call('HSET', stateKey, unpack(ARGV, i + 7, i + 6 + count))
  end
  local seq = 0
  if body ~= '' then
    seq = redis.call('HINCRBY', stateKey, 'seq', 1)
    local event = '{"seq":' .. seq .. ',' .. body
    redis.call('RPUSH', eventsKey, event)
    redis.call('XADD', streamKey, '*', 'e', event)
    redis.call('PUBLISH', channel, event)
  end
  if ttl > 0 then
    redis.call('EXPIRE', stateKey, ttl)
    redis.call('EXPIRE', eventsKey, ttl)
  elseif ttl < 0 then
    redis.call('PERSIST', stateKey)
    redis.call('PERSIST', eventsKey)
  end
  if release == '1' then
    redis.call('DEL', leaseKey)
  end
  return seq, ''
end

local results = {}
local i = 3
while i <= #ARGV do
  local code, status = apply(i)
  results[#results + 1] = code
  results[#results + 1] = status
  i = i + 7 + tonumber(ARGV[i + 6])
end
return results
