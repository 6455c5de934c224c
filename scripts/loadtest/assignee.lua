-- wrk script for scripts/loadtest.sh: POSTs Jira Server `jira:issue_updated` deliveries, made from
-- delivery-template.json (its path is given after `--`), that reassign one of the
-- LOAD-1..LOAD-50 issues of state.json, alternating between jess and alex. Each request gets its
-- own changelog id (thread number and counter), so no delivery is a duplicate, and a later
-- timestamp, so the ordering guard keeps applying them.

local issues = 50
local thread_count = 0

local users = {
  { name = "jess", key = "JIRAUSER10100", email = "jess@example.com", display = "Jess MacQueen" },
  { name = "alex", key = "JIRAUSER10101", email = "alex@example.com", display = "Alex Kim" },
}

function setup(thread)
  thread_count = thread_count + 1
  thread:set("number", thread_count)
end

function init(args)
  -- wrk's argument table also holds its own arguments: take the one naming a JSON file.
  local path = nil
  for _, arg in pairs(args) do
    if type(arg) == "string" and arg:match("%.json$") then
      path = arg
    end
  end
  if path == nil then
    error("usage: wrk ... -s assignee.lua URL -- path/to/delivery-template.json")
  end
  local file = assert(io.open(path, "r"))
  template = file:read("*a")
  file:close()
  counter = 0
end

function request()
  counter = counter + 1
  local issue = (counter % issues) + 1
  local user = users[math.floor(counter / issues) % 2 + 1]
  local values = {
    TIMESTAMP = string.format("%d", 1700000000000 + counter * 10 + number),
    ISSUE_ID = string.format("%d", 20000 + issue),
    ISSUE_NUMBER = string.format("%d", issue),
    USER_NAME = user.name,
    USER_KEY = user.key,
    USER_EMAIL = user.email,
    USER_DISPLAY = user.display,
    CHANGELOG_ID = string.format("%d", number * 1000000000 + counter),
  }
  local body = template:gsub("__([A-Z_]+)__", values)
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end
