--[[
  One atomic state transition of a run or one of its nodes, with its event.

  Checks, in order: the caller still holds the run's lease (when it names one), the run is in one of
  the expected run statuses, the node (or the run) is in one of the expected statuses. Only when all
  hold does it write the fields, take the next seq, and append the event to the run's event list (for
  replay), to the global event stream (for the writer) and publish it (for live subscribers). So a seq
  is never taken without its event, and no event is emitted for a transition that did not happen.

  KEYS[1] state hash of the run (run fields, and node fields as "n:<nodeId>:<field>")
  KEYS[2] list of the run's events, in seq order
  KEYS[3] global event stream
  KEYS[4] lease key of the run

  ARGV[1] lease token; '' skips the lease check (the API acting on a run no worker holds)
  ARGV[2] node id; '' checks the run's own status against ARGV[3]
  ARGV[3] expected statuses of the node (or run), '|'-separated; '' accepts any
  ARGV[4] expected run statuses, '|'-separated; '' accepts any
  ARGV[5] event JSON without its opening '{' and without seq; '' emits no event
  ARGV[6] pub/sub channel for the event
  ARGV[7] seconds until the state and event list expire; 0 leaves them as they are; -1 makes them
          permanent again (a finished run that is retried)
  ARGV[8] '1' to release the lease afterwards (the run's last transition by its driver), else ''
  ARGV[9..] field, value pairs to write into the state hash

  Returns: seq of the event (0 when none was emitted)
    {-1}          the lease is held by someone else, or by nobody
    {-2, status}  the node (or run) is not in an expected status; status is what it is
    {-3, status}  the run is not in an expected status; status is what it is
    {-4}          the run does not exist
]]
local stateKey, eventsKey, streamKey, leaseKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local token, nodeId, expected, expectedRun = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local body, channel, ttl = ARGV[5], ARGV[6], tonumber(ARGV[7])

local function contains(list, value)
  if list == '' then return true end
  for item in string.gmatch(list, '([^|]+)') do
    if item == value then return true end
  end
  return false
end

local runStatus = redis.call('HGET', stateKey, 'status')
if not runStatus then return {-4} end
if token ~= '' and redis.call('GET', leaseKey) ~= token then return {-1} end
if not contains(expectedRun, runStatus) then return {-3, runStatus} end
if nodeId ~= '' then
  local nodeStatus = redis.call('HGET', stateKey, 'n:' .. nodeId .. ':status') or ''
  if not contains(expected, nodeStatus) then return {-2, nodeStatus} end
elseif not contains(expected, runStatus) then
  return {-2, runStatus}
end

if #ARGV >= 10 then
  redis.call('HSET', stateKey, unpack(ARGV, 9))
end

local seq = 0
if body ~= '' then
  seq = redis.call('HINCRBY', stateKey, 'seq', 1)
  local event = '{"seq":' .. seq .. ',' .. body
  redis.call('RPUSH', eventsKey, event)
  redis.call('XADD', streamKey, '*', 'e', event)
  redis.call('PUBLISH', channel, event)
end
if ttl and ttl > 0 then
  redis.call('EXPIRE', stateKey, ttl)
  redis.call('EXPIRE', eventsKey, ttl)
elseif ttl and ttl < 0 then
  redis.call('PERSIST', stateKey)
  redis.call('PERSIST', eventsKey)
end
if ARGV[8] == '1' then
  redis.call('DEL', leaseKey)
end
return seq
