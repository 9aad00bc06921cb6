--[[
  Releases a run's lease if, and only if, the caller still holds it.

  KEYS[1] lease key
  ARGV[1] token of the caller

  Returns 1 when released, 0 when the caller did not hold it.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
