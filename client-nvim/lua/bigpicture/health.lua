-- :checkhealth bigpicture, and the text of :BigPicture info.
--
-- Credentials are reported as set or not set, never with their values.

local client = require("bigpicture.client")
local compat = require("bigpicture.compat")
local config = require("bigpicture.config")
local status = require("bigpicture.status")

local M = {}

-- What each provider reads from the server's environment: `need` are alternatives of which
-- one must be set (each alternative a list of variables that go together), `also` optional.
M.CREDENTIALS = {
  anthropic = {
    need = { { "ANTHROPIC_API_KEY" }, { "ANTHROPIC_AUTH_TOKEN" } },
    also = { "ANTHROPIC_BASE_URL" },
  },
  bedrock = {
    need = {
      { "AWS_BEARER_TOKEN_BEDROCK" },
      { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY" },
      { "AWS_PROFILE" },
    },
    also = { "AWS_REGION", "AWS_DEFAULT_REGION", "ANTHROPIC_BEDROCK_BASE_URL" },
  },
  vertex = {
    need = { { "ANTHROPIC_VERTEX_PROJECT_ID" } },
    also = { "CLOUD_ML_REGION", "BIGPICTURE_VERTEX_ACCESS_TOKEN", "ANTHROPIC_VERTEX_BASE_URL" },
  },
  foundry = {
    need = {
      { "ANTHROPIC_FOUNDRY_API_KEY" },
      { "ANTHROPIC_FOUNDRY_RESOURCE" },
      { "ANTHROPIC_FOUNDRY_BASE_URL" },
    },
    also = {},
  },
}

---Is `name` set in the environment the server is started with (Neovim's plus cmd_env)?
local function is_set(name)
  local env = config.options.cmd_env
  local v = type(env) == "table" and env[name] or nil
  if v == nil then
    v = vim.env[name]
  end
  return v ~= nil and v ~= ""
end

local function version_text()
  local v = vim.version()
  return string.format("%d.%d.%d", v.major, v.minor, v.patch)
end

---The server's version: its command with `--version` in place of `serve`.
function M.server_version()
  local cmd = vim.deepcopy(config.options.cmd)
  if cmd[#cmd] == "serve" then
    cmd[#cmd] = "--version"
  else
    table.insert(cmd, "--version")
  end
  local out, code = compat.run(cmd, 10000)
  if not out then
    return nil, code
  end
  if code ~= 0 then
    return nil, string.format("exit code %d: %s", code, out)
  end
  return out, nil
end

local function helptags()
  for _, path in ipairs(vim.api.nvim_get_runtime_file("doc/bigpicture.txt", true)) do
    local tags = vim.fn.fnamemodify(path, ":h") .. "/tags"
    if vim.fn.filereadable(tags) == 1 then
      for _, line in ipairs(vim.fn.readfile(tags)) do
        if line:find("^bigpicture\t") then
          return true, path
        end
      end
    end
    return false, path
  end
  return false, nil
end

local function describe_summary(last)
  if not last then
    return "no review yet"
  end
  local text = status.summary_text(last, nil)
  return (text:gsub("^BigPicture:%s*", ""))
end

---One line per running server: root, client id, state, last review, last error.
function M.servers()
  local out = {}
  for root, id in pairs(client.list()) do
    local s = status.by_client[id] or status.get(id)
    local c = vim.lsp.get_client_by_id(id)
    local bufs = c and vim.tbl_count(c.attached_buffers or {}) or 0
    table.insert(out, {
      root = root,
      id = id,
      state = s.running and "reviewing" or "idle",
      buffers = bufs,
      shown = s.counts.total,
      last = describe_summary(s.last),
      last_error = s.last_error,
    })
  end
  for root, why in pairs(client.exits) do
    if not client.by_root[root] then
      table.insert(out, { root = root, exited = why })
    end
  end
  table.sort(out, function(a, b)
    return a.root < b.root
  end)
  return out
end

function M.check()
  local h = compat.health()

  h.start("BigPicture: Neovim")
  if vim.fn.has("nvim-0.7.2") == 1 then
    h.ok("Neovim " .. version_text())
  else
    h.error("Neovim " .. version_text() .. ": BigPicture needs 0.7.2 or later")
  end
  local tagged, doc = helptags()
  if tagged then
    h.ok("help tags present (:help bigpicture)")
  elseif doc then
    h.warn("no help tags for " .. doc, { "run :helptags ALL (plugin managers usually do it)" })
  else
    h.warn("doc/bigpicture.txt is not on 'runtimepath'")
  end

  h.start("BigPicture: server")
  local cmd = config.options.cmd
  if vim.fn.executable(cmd[1]) ~= 1 then
    h.error(
      "'" .. tostring(cmd[1]) .. "' is not executable",
      { "install the server: pip install bigpicture", "or set `cmd` in setup()" }
    )
  else
    h.ok("command: " .. table.concat(cmd, " "))
    local version, err = M.server_version()
    if version then
      h.ok("version: " .. version)
    else
      h.error("`--version` failed: " .. tostring(err))
    end
  end

  h.start("BigPicture: credentials (set or not; values are never shown)")
  local provider = config.setting("provider") or "anthropic"
  local creds = M.CREDENTIALS[provider] or M.CREDENTIALS.anthropic
  local found = false
  local names = {}
  for _, group in ipairs(creds.need) do
    local all = true
    for _, name in ipairs(group) do
      h.info(name .. ": " .. (is_set(name) and "set" or "not set"))
      all = all and is_set(name)
    end
    found = found or all
    table.insert(names, table.concat(group, " and "))
  end
  for _, name in ipairs(creds.also) do
    h.info(name .. ": " .. (is_set(name) and "set" or "not set"))
  end
  if found then
    h.ok("provider " .. provider .. ": credentials are set")
  else
    h.error(
      "provider " .. provider .. ": none of " .. table.concat(names, ", ") .. " is set",
      { "export it in the shell you start Neovim from (never put it in settings)" }
    )
  end

  h.start("BigPicture: servers")
  local servers = M.servers()
  if #servers == 0 then
    h.info("no server running (one starts for files in a project)")
  end
  for _, s in ipairs(servers) do
    if s.exited then
      h.error(
        s.root .. ": the server " .. s.exited,
        { "see :BigPicture log", ":BigPicture restart" }
      )
    else
      h.ok(
        string.format(
          "%s: client %d, %s, %s, %s shown",
          s.root,
          s.id,
          s.state,
          status.plural(s.buffers, "buffer"),
          status.plural(s.shown, "finding")
        )
      )
      h.info("last review: " .. s.last)
      if s.last_error then
        h.warn("last error: " .. s.last_error)
      end
    end
  end
end

---The text of :BigPicture info (markdown).
function M.info_text()
  local lines = { "# BigPicture", "" }
  local opts = config.options
  table.insert(lines, "- Neovim " .. version_text())
  table.insert(
    lines,
    "- server command: `"
      .. table.concat(opts.cmd, " ")
      .. "`"
      .. (vim.fn.executable(opts.cmd[1]) == 1 and "" or " (NOT executable)")
  )
  table.insert(
    lines,
    "- confirm_above: "
      .. (opts.confirm_above and string.format("$%.2f", opts.confirm_above) or "off")
  )
  local keys = vim.tbl_keys(opts.settings)
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    table.insert(parts, k .. " = " .. vim.inspect(opts.settings[k], { newline = " ", indent = "" }))
  end
  table.insert(
    lines,
    "- settings sent: "
      .. (#parts > 0 and table.concat(parts, ", ") or "none (the server's defaults)")
  )
  table.insert(lines, "- Neovim's LSP log: " .. vim.lsp.get_log_path())
  table.insert(lines, "")
  table.insert(lines, "## Servers")
  table.insert(lines, "")
  local servers = M.servers()
  if #servers == 0 then
    table.insert(lines, "none running")
  end
  for _, s in ipairs(servers) do
    if s.exited then
      table.insert(lines, string.format("- %s: the server %s", s.root, s.exited))
    else
      table.insert(
        lines,
        string.format(
          "- %s: client %d, %s, %s",
          s.root,
          s.id,
          s.state,
          status.plural(s.buffers, "buffer")
        )
      )
      table.insert(lines, string.format("  - findings shown: %d", s.shown))
      table.insert(lines, "  - last review: " .. s.last)
      table.insert(lines, "  - last error: " .. (s.last_error or "none"))
    end
  end
  table.insert(lines, "")
  table.insert(lines, "More: :checkhealth bigpicture, :BigPicture log")
  return table.concat(lines, "\n")
end

return M
