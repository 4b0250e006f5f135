-- The plugin's options (setup()) and the server's settings: defaults, checks, and what is sent.
--
-- Options are checked with vim.validate; a bad one falls back to its default and an unknown one
-- is named, each problem said once. Settings are checked against the server's own list
-- (settings_spec.lua, generated from the server): unknown keys and values of the wrong type are
-- named once and not sent, and nothing that looks like an API key is ever sent.

local compat = require("bigpicture.compat")
local spec_list = require("bigpicture.settings_spec")
local ui = require("bigpicture.ui")

local M = {}

local levels = vim.log.levels

M.defaults = {
  cmd = { "bigpicture", "serve" },
  cmd_env = nil,
  root_markers = { ".git", "pyproject.toml" },
  filetypes = nil, -- nil: every file buffer in a project
  settings = {},
  autostart = true,
  notify_progress = false, -- progress goes to $/progress and the statusline
  confirm_above = nil, -- USD: ask before a review estimated above it
  capabilities = nil,
  on_attach = nil,
}

-- vim.validate type of each option, and whether nil is allowed.
local OPTIONS = {
  cmd = { "table", false },
  cmd_env = { "table", true },
  root_markers = { "table", false },
  filetypes = { "table", true },
  settings = { "table", true },
  autostart = { "boolean", false },
  notify_progress = { "boolean", false },
  confirm_above = { "number", true },
  capabilities = { "table", true },
  on_attach = { "function", true },
}

M.options = vim.deepcopy(M.defaults)

---The server's settings by key (from settings_spec.lua), and their order.
M.spec = {}
M.keys = {}
for _, s in ipairs(spec_list) do
  M.spec[s.key] = s
  table.insert(M.keys, s.key)
end

local said = {} -- problems already named (each is said once)

local function once(id, text, level)
  if said[id] then
    return
  end
  said[id] = true
  ui.notify(text, level)
end

-- --------------------------------------------------------------------------- settings

---The server's spelling of a key: snake_case and kebab-case become camelCase.
function M.canonical(key)
  local s = tostring(key)
  return (s:gsub("[-_](%w)", function(c)
    return c:upper()
  end))
end

local function looks_like_secret(key)
  local k = tostring(key):lower():gsub("[^a-z]", "")
  return k == "key"
    or k:find("apikey", 1, true) ~= nil
    or k:find("secret", 1, true) ~= nil
    or k:find("token", 1, true) ~= nil
    or k:find("password", 1, true) ~= nil
end

local islist = vim.islist or vim.tbl_islist

---Why `value` does not fit setting `s`, or nil when it does.
local function type_problem(s, value)
  if value == vim.NIL then
    return (not s.nullable) and "must not be null" or nil
  end
  local t = s.type
  if t == "string" then
    if type(value) ~= "string" then
      return "must be a string"
    end
    if s.enum and not vim.tbl_contains(s.enum, value) then
      return "must be one of " .. table.concat(s.enum, ", ")
    end
  elseif t == "number" and type(value) ~= "number" then
    return "must be a number"
  elseif t == "integer" and (type(value) ~= "number" or math.floor(value) ~= value) then
    return "must be an integer"
  elseif t == "boolean" and type(value) ~= "boolean" then
    return "must be true or false"
  elseif
    t == "array"
    and type(value) ~= "string"
    and not (type(value) == "table" and islist(value))
  then
    return "must be a list"
  elseif t == "object" and type(value) ~= "table" then
    return "must be a table"
  end
  return nil
end

---The settings as sent: known keys with values of the right type (server spelling); anything
---like an API key dropped with an error, unknown keys and bad values dropped with a warning.
function M.clean_settings(settings)
  local out = {}
  for raw, value in pairs(settings or {}) do
    local key = M.canonical(raw)
    local s = M.spec[key]
    if s then
      local problem = type_problem(s, value)
      if problem then
        once(
          "type:" .. key .. ":" .. type(value),
          string.format("BigPicture: setting '%s' %s; not sent", tostring(raw), problem),
          levels.WARN
        )
      elseif s.type == "object" and type(value) == "table" and next(value) == nil then
        out[key] = vim.empty_dict() -- {} would be sent as a JSON array
      else
        out[key] = value
      end
    elseif looks_like_secret(raw) then
      ui.notify(
        "BigPicture: ignoring setting '"
          .. tostring(raw)
          .. "': the API key is read only from the server's environment (ANTHROPIC_API_KEY)",
        levels.ERROR
      )
    else
      once(
        "unknown:" .. tostring(raw),
        "BigPicture: unknown setting '" .. tostring(raw) .. "' not sent (:help bigpicture-settings)",
        levels.WARN
      )
    end
  end
  return out
end

---A settings table as a JSON object (an empty table would be sent as an array).
function M.as_object(tbl)
  if next(tbl) == nil then
    return vim.empty_dict()
  end
  return tbl
end

---The value of setting `key` the plugin sends, else the server's default.
function M.setting(key)
  local v = M.options.settings[key]
  if v ~= nil then
    return v
  end
  local s = M.spec[key]
  return s and s.default or nil
end

-- --------------------------------------------------------------------------- options

---The options of setup(): checked (vim.validate), bad ones back to their default, unknown
---ones named; each problem said once.
function M.resolve(opts)
  opts = opts or {}
  local out = vim.deepcopy(M.defaults)
  if type(opts) ~= "table" then
    once("opts", "BigPicture: setup() takes a table of options", levels.ERROR)
    opts = {}
  end
  for key, value in pairs(opts) do
    local o = OPTIONS[key]
    if not o then
      local hint = M.spec[M.canonical(key)]
          and (": it is a setting, put it in `settings = { " .. tostring(key) .. " = ... }`")
        or " (:help bigpicture-setup)"
      once(
        "option:" .. tostring(key),
        "BigPicture: unknown option '" .. tostring(key) .. "'" .. hint,
        levels.WARN
      )
    else
      local ok, err = pcall(compat.validate, key, value, o[1], o[2])
      if ok and key == "cmd" and (#value == 0 or type(value[1]) ~= "string") then
        ok, err = false, 'cmd: expected a list like { "bigpicture", "serve" }'
      elseif ok and key == "confirm_above" and value < 0 then
        ok, err = false, "confirm_above: expected a cost in USD, 0 or more"
      end
      if ok then
        out[key] = value
      else
        local msg = tostring(err):gsub("^.-:%d+: ", "")
        once("bad:" .. key, "BigPicture: option " .. msg .. "; using the default", levels.ERROR)
      end
    end
  end
  out.settings = M.clean_settings(out.settings)
  return out
end

return M
