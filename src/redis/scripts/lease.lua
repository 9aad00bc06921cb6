--[[
  Takes or renews a run's lease: the right to drive the run's transitions.

  KEYS[1] lease key
  ARGV[1] token of the caller
  ARGV[2] lease duration in ms

  Returns 1 when the caller holds the lease afterwards (taken fresh, or renewed), 0 when another
  token holds it.
]]
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
