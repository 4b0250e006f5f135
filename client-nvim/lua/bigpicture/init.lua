-- BigPicture for Neovim: starts `bigpicture serve` for buffers in a project (one client per
-- workspace root), and runs its commands asynchronously. Findings arrive as diagnostics, fixes
-- as code actions; both are plain LSP, handled by Neovim itself.
--
-- Works on Neovim 0.7.2 through 0.11. See :help bigpicture.

local compat = require("bigpicture.compat")
local status = require("bigpicture.status")
local ui = require("bigpicture.ui")

local M = {}

local uv = vim.uv or vim.loop
local levels = vim.log.levels

local NAME = "bigpicture"
local READY_TIMEOUT_MS = 20000

-- The server's settings (see the server contract); anything else is passed on with a warning.
local SETTING_KEYS = {
  model = true,
  reviewOnSave = true,
  baseBranch = true,
  maxCostPerReview = true,
  thinkingBudget = true,
  cacheTtl = true,
  include = true,
  exclude = true,
  minSeverity = true,
  logLevel = true,
  keepWarm = true,
  debounceMs = true,
}

local defaults = {
  cmd = { "bigpicture", "serve" },
  cmd_env = nil,
  root_markers = { ".git", "pyproject.toml" },
  filetypes = nil, -- nil: every file buffer in a project
  settings = {},
  autostart = true,
  notify_progress = true,
  capabilities = nil,
  on_attach = nil,
}

M.config = vim.deepcopy(defaults)

local clients = {} -- root dir -> client id
local buf_roots = {} -- bufnr -> root dir
local warned_cmd = false

-- --------------------------------------------------------------------------- settings

local function looks_like_secret(key)
  local k = tostring(key):lower():gsub("[^a-z]", "")
  return k == "key"
    or k:find("apikey", 1, true) ~= nil
    or k:find("secret", 1, true) ~= nil
    or k:find("token", 1, true) ~= nil
    or k:find("password", 1, true) ~= nil
end

---The settings as sent: unknown keys kept (with a warning), anything like an API key dropped.
local function clean_settings(settings)
  local out = {}
  for key, value in pairs(settings or {}) do
    if looks_like_secret(key) then
      ui.notify(
        "BigPicture: ignoring setting '"
          .. tostring(key)
          .. "': the API key is read only from ANTHROPIC_API_KEY in the server's environment",
        levels.ERROR
      )
    else
      if not SETTING_KEYS[key] then
        ui.notify("BigPicture: unknown setting '" .. tostring(key) .. "'", levels.WARN)
      end
      out[key] = value
    end
  end
  return out
end

local function as_object(tbl)
  if next(tbl) == nil then
    return vim.empty_dict()
  end
  return tbl
end

-- --------------------------------------------------------------------------- summaries

local server_spoke_at = {} -- client id -> uv.now() of the server's last window/showMessage
local SERVER_SPOKE_MS = 5000

local function report_summary(client_id, summary)
  if type(summary) ~= "table" or summary.status == nil then
    return
  end
  -- When the server just said how the review ended (window/showMessage: its summary or its
  -- error), do not say it a second time.
  local spoke = server_spoke_at[client_id]
  if spoke and uv.now() - spoke < SERVER_SPOKE_MS then
    return
  end
  local text, level = status.summary_text(summary)
  ui.notify(text, level)
end

-- --------------------------------------------------------------------------- handlers

local function strip_prefix(s)
  return (tostring(s or ""):gsub("^BigPicture:%s*", ""))
end

local function on_progress(err, result, ctx, config)
  local default = vim.lsp.handlers["$/progress"]
  if default then
    pcall(default, err, result, ctx, config)
  end
  local value = type(result) == "table" and result.value or nil
  if type(value) ~= "table" or value.kind == nil then
    return
  end
  status.progress(ctx.client_id, value)
  if M.config.notify_progress then
    if value.kind == "begin" then
      local text = "BigPicture: " .. strip_prefix(value.title)
      if type(value.message) == "string" and value.message ~= "" then
        text = text .. " – " .. value.message
      end
      ui.notify(text, levels.INFO)
    elseif value.kind == "report" and type(value.message) == "string" and value.message ~= "" then
      ui.notify("BigPicture: " .. strip_prefix(value.message), levels.INFO)
    end
  end
end

local function on_review_finished(_, summary, ctx)
  if type(summary) ~= "table" then
    return
  end
  status.finished(ctx.client_id, summary)
  report_summary(ctx.client_id, summary)
end

local MESSAGE_LEVELS = { levels.ERROR, levels.WARN, levels.INFO, levels.DEBUG }

local function on_show_message(_, result, ctx)
  if type(result) ~= "table" or type(result.message) ~= "string" then
    return vim.NIL
  end
  local level = MESSAGE_LEVELS[result.type] or levels.INFO
  if level == levels.DEBUG then
    return vim.NIL
  end
  local text = result.message
  if not text:find("^BigPicture") then
    text = "BigPicture: " .. text
  end
  ui.notify(text, level)
  if ctx then
    server_spoke_at[ctx.client_id] = uv.now()
  end
  return vim.NIL
end

-- --------------------------------------------------------------------------- clients

local function alive(id)
  local client = id and vim.lsp.get_client_by_id(id)
  if client and not compat.is_stopped(client) then
    return client
  end
  return nil
end

local function buf_path(bufnr)
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= "" then
    return nil
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" then
    return nil
  end
  return name
end

local function root_for(bufnr)
  local path = buf_path(bufnr)
  if path then
    return compat.find_root(path, M.config.root_markers)
  end
  return nil
end

local client_commands -- defined below, referenced by client_config

local function client_config(root)
  local capabilities = vim.lsp.protocol.make_client_capabilities()
  if M.config.capabilities then
    capabilities = vim.tbl_deep_extend("force", capabilities, M.config.capabilities)
  end
  -- The plan is shown in a scratch buffer from the command's result; a second window
  -- opened by window/showDocument would be noise.
  capabilities.window = capabilities.window or {}
  capabilities.window.showDocument = { support = false }

  local settings = as_object(vim.deepcopy(M.config.settings))
  return {
    name = NAME,
    cmd = M.config.cmd,
    cmd_env = M.config.cmd_env,
    root_dir = root,
    init_options = settings,
    settings = { bigpicture = settings },
    capabilities = capabilities,
    handlers = {
      ["$/progress"] = on_progress,
      ["bigpicture/reviewFinished"] = on_review_finished,
      ["window/showMessage"] = on_show_message,
    },
    commands = client_commands,
    on_attach = M.config.on_attach,
    on_exit = function(code, signal, client_id)
      for r, id in pairs(clients) do
        if id == client_id then
          clients[r] = nil
        end
      end
      status.forget(client_id)
      local exiting = vim.v.exiting ~= vim.NIL and vim.v.exiting ~= nil
      if not exiting and (code ~= 0 or (signal and signal ~= 0 and signal ~= 15)) then
        ui.notify(
          string.format(
            "BigPicture: the language server exited (code %s, signal %s); see :help bigpicture-troubleshooting",
            tostring(code),
            tostring(signal)
          ),
          levels.ERROR
        )
      end
    end,
  }
end

---Is the server command executable? Says so when it is not: once when attaching buffers,
---every time when `loud` (a command the user ran).
local function cmd_available(loud)
  local cmd = M.config.cmd
  if type(cmd) ~= "table" or vim.fn.executable(cmd[1]) == 1 then
    return true
  end
  if loud or not warned_cmd then
    warned_cmd = true
    ui.notify(
      "BigPicture: '"
        .. tostring(cmd[1])
        .. "' is not executable. Install the server (pip install bigpicture) or set `cmd` in setup().",
      levels.ERROR,
      loud
    )
  end
  return false
end

---Start or reuse the client for `root`; attach `bufnr` when given.
local function ensure_client(root, bufnr)
  local existing = alive(clients[root])
  if existing and not bufnr then
    return existing.id
  end
  if not existing and not cmd_available() then
    return nil
  end
  local ok, id = pcall(compat.start, client_config(root), bufnr, existing and existing.id)
  if not ok or not id then
    ui.notify("BigPicture: could not start the language server: " .. tostring(id), levels.ERROR)
    return nil
  end
  clients[root] = id
  if bufnr then
    buf_roots[bufnr] = root
  end
  return id
end

---Attach BigPicture to a buffer if it is a file in a project. Called on BufReadPost/BufNewFile.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local path = buf_path(bufnr)
  if not path then
    return nil
  end
  local fts = M.config.filetypes
  if fts and not vim.tbl_contains(fts, vim.bo[bufnr].filetype) then
    return nil
  end
  local root = compat.find_root(path, M.config.root_markers)
  if not root then
    return nil
  end
  return ensure_client(root, bufnr)
end

---The client serving `bufnr` (or the current directory's project), started when missing.
---@return table|nil client, string|nil root
function M.get_client(bufnr, start)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local root = buf_roots[bufnr] or root_for(bufnr)
  if not root and not buf_path(bufnr) then
    -- Not a file (the plan buffer, a terminal...): the only running client, else the cwd's.
    local only
    for _, id in pairs(clients) do
      local c = alive(id)
      if c then
        if only then
          only = nil
          break
        end
        only = c
      end
    end
    if only then
      return only, only.config.root_dir
    end
    root = compat.find_root(vim.fn.getcwd(), M.config.root_markers)
  end
  if not root then
    return nil, nil
  end
  local client = alive(clients[root])
  if not client and start then
    local id = ensure_client(root, nil)
    client = id and vim.lsp.get_client_by_id(id) or nil
  end
  return client, root
end

---Call `fn(client)` once the buffer's client has finished initializing; never blocks.
local function with_client(bufnr, fn)
  local client, root = M.get_client(bufnr, true)
  if not client then
    if not root then
      ui.notify(
        "BigPicture: not in a project (no "
          .. table.concat(M.config.root_markers, " or ")
          .. " found)",
        levels.WARN,
        true
      )
    elseif cmd_available(true) then
      ui.notify(
        "BigPicture: the language server could not start; see :help bigpicture-troubleshooting",
        levels.ERROR,
        true
      )
    end
    return
  end
  local id = client.id
  local deadline = uv.now() + READY_TIMEOUT_MS
  local function try()
    local c = alive(id)
    if not c then
      ui.notify(
        "BigPicture: the language server is not running; see :help bigpicture-troubleshooting",
        levels.ERROR
      )
      return
    end
    if compat.is_initialized(c) then
      fn(c)
    elseif uv.now() > deadline then
      ui.notify(
        "BigPicture: the language server did not start in time; see :help bigpicture-troubleshooting",
        levels.ERROR
      )
    else
      vim.defer_fn(try, 50)
    end
  end
  try()
end

-- --------------------------------------------------------------------------- commands

---workspace/executeCommand, asynchronously; `on_result(result)` on success.
local function execute(client, bufnr, command, arguments, on_result, on_error)
  local params = { command = command, arguments = arguments }
  local ok = compat.request(client, "workspace/executeCommand", params, function(err, result)
    if err then
      if on_error then
        on_error(err)
      end
      ui.notify(
        string.format("BigPicture: %s failed: %s", command, tostring(err.message or err)),
        levels.ERROR,
        true
      )
      return
    end
    if on_result then
      on_result(result)
    end
  end, bufnr)
  if not ok then
    ui.notify("BigPicture: the language server is not running", levels.ERROR)
  end
end

local REVIEW_COMMANDS = {
  workspace = "bigpicture.reviewWorkspace",
  changes = "bigpicture.reviewChanges",
  file = "bigpicture.reviewFile",
}

local function run_review(client, bufnr, kind, arguments)
  status.started(client.id, "reviewing " .. kind)
  execute(client, bufnr, REVIEW_COMMANDS[kind], arguments, function(summary)
    if type(summary) == "table" then
      status.finished(client.id, summary)
      report_summary(client.id, summary)
    end
  end, function(err)
    status.finished(
      client.id,
      { status = "failed", kind = kind, message = tostring(err.message or err) }
    )
  end)
end

local function run_dismiss(client, bufnr, id, reason)
  execute(client, bufnr, "bigpicture.dismissFinding", { id, reason }, function()
    local label = reason == "wont-fix" and "won't fix" or reason:gsub("%-", " ")
    ui.notify(string.format("BigPicture: finding dismissed (%s)", label), levels.INFO, true)
  end)
end

local function run_explain(client, bufnr, id)
  ui.notify("BigPicture: asking Claude about this finding…", levels.INFO, true)
  execute(client, bufnr, "bigpicture.explainFinding", { id }, function(result)
    local answer = type(result) == "table" and result.answer or nil
    if type(answer) ~= "string" or answer == "" then
      ui.notify("BigPicture: no explanation came back", levels.WARN, true)
      return
    end
    vim.schedule(function()
      ui.show_float(answer, "bigpicture-explain")
    end)
  end)
end

-- Commands coming from code actions run here (not on the server directly), so that their
-- results are shown: the explanation float, the review summary, the dismiss message.
client_commands = {
  ["bigpicture.explainFinding"] = function(command, ctx)
    local client = alive(ctx.client_id)
    local args = command.arguments or {}
    if client and args[1] then
      run_explain(client, ctx.bufnr, args[1])
    end
  end,
  ["bigpicture.dismissFinding"] = function(command, ctx)
    local client = alive(ctx.client_id)
    local args = command.arguments or {}
    if client and args[1] then
      run_dismiss(client, ctx.bufnr, args[1], args[2] or "false-positive")
    end
  end,
  ["bigpicture.reviewFile"] = function(command, ctx)
    local client = alive(ctx.client_id)
    if client then
      run_review(client, ctx.bufnr, "file", command.arguments)
    end
  end,
}

local function current(bufnr)
  return (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
end

---Start a review: kind "workspace" (default), "changes" or "file" (the buffer's file).
function M.review(kind, bufnr)
  kind = kind or "workspace"
  bufnr = current(bufnr)
  if not REVIEW_COMMANDS[kind] then
    ui.notify("BigPicture: unknown review kind '" .. tostring(kind) .. "'", levels.ERROR, true)
    return
  end
  local arguments
  if kind == "file" then
    if not buf_path(bufnr) then
      ui.notify("BigPicture: this buffer is not a file", levels.WARN, true)
      return
    end
    arguments = { vim.uri_from_bufnr(bufnr) }
  end
  with_client(bufnr, function(client)
    run_review(client, bufnr, kind, arguments)
  end)
end

---Show what a review would send (no network), in a scratch buffer.
function M.plan(kind, bufnr)
  kind = (kind and kind ~= "") and kind or "workspace"
  bufnr = current(bufnr)
  local arguments = { kind }
  if kind == "file" then
    if not buf_path(bufnr) then
      ui.notify("BigPicture: this buffer is not a file", levels.WARN, true)
      return
    end
    arguments[2] = vim.uri_from_bufnr(bufnr)
  end
  with_client(bufnr, function(client)
    execute(client, bufnr, "bigpicture.showPlan", arguments, function(result)
      local text = type(result) == "table" and result.text or nil
      if type(text) ~= "string" then
        ui.notify("BigPicture: the server returned no plan", levels.WARN, true)
        return
      end
      vim.schedule(function()
        ui.show_scratch(text, "bigpicture://plan")
      end)
    end)
  end)
end

function M.cancel(bufnr)
  bufnr = current(bufnr)
  with_client(bufnr, function(client)
    execute(client, bufnr, "bigpicture.cancel", nil, function(result)
      if type(result) == "table" and result.cancelled == false then
        ui.notify("BigPicture: no review is running", levels.INFO, true)
      end
    end)
  end)
end

function M.clear(bufnr)
  bufnr = current(bufnr)
  with_client(bufnr, function(client)
    execute(client, bufnr, "bigpicture.clearFindings", nil, function(result)
      local n = type(result) == "table" and tonumber(result.cleared) or 0
      ui.notify(
        string.format("BigPicture: cleared %d finding%s", n, n == 1 and "" or "s"),
        levels.INFO,
        true
      )
    end)
  end)
end

function M.usage(bufnr)
  bufnr = current(bufnr)
  with_client(bufnr, function(client)
    execute(client, bufnr, "bigpicture.usage", nil, function(result)
      local text = type(result) == "table" and result.text or nil
      ui.notify(
        type(text) == "string" and text or "BigPicture: no usage recorded yet",
        levels.INFO,
        true
      )
    end)
  end)
end

---The BigPicture diagnostic under the cursor (its range holds the cursor; else the first on
---the cursor's line), most severe first.
---@return table|nil diagnostic, string|nil finding id
function M.finding_at_cursor(bufnr, winid)
  bufnr = current(bufnr)
  winid = winid or vim.api.nvim_get_current_win()
  local cursor = vim.api.nvim_win_get_cursor(winid)
  local row, col = cursor[1] - 1, cursor[2]
  local on_line, under = {}, {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp = d.user_data and d.user_data.lsp
    local data = type(lsp) == "table" and lsp.data or nil
    local id = type(data) == "table" and data.id or nil
    if d.source == NAME and id then
      local end_lnum = d.end_lnum or d.lnum
      if row >= d.lnum and row <= end_lnum then
        table.insert(on_line, d)
        local after_start = row > d.lnum or col >= d.col
        local before_end = row < end_lnum
          or col < (d.end_col or d.col)
          or (d.end_col or d.col) == d.col
        if after_start and before_end then
          table.insert(under, d)
        end
      end
    end
  end
  local pick = #under > 0 and under or on_line
  table.sort(pick, function(a, b)
    if a.severity ~= b.severity then
      return a.severity < b.severity
    end
    return a.col < b.col
  end)
  local d = pick[1]
  if not d then
    return nil, nil
  end
  return d, d.user_data.lsp.data.id
end

---Dismiss the finding under the cursor; reason "false-positive" (default) or "wont-fix".
function M.dismiss(reason, bufnr)
  reason = (reason and reason ~= "") and reason or "false-positive"
  if reason ~= "false-positive" and reason ~= "wont-fix" then
    ui.notify("BigPicture: reason must be false-positive or wont-fix", levels.ERROR, true)
    return
  end
  bufnr = current(bufnr)
  local _, id = M.finding_at_cursor(bufnr)
  if not id then
    ui.notify("BigPicture: no finding under the cursor", levels.WARN, true)
    return
  end
  with_client(bufnr, function(client)
    run_dismiss(client, bufnr, id, reason)
  end)
end

---Ask the model about the finding under the cursor; the answer opens in a floating window.
function M.explain(bufnr)
  bufnr = current(bufnr)
  local _, id = M.finding_at_cursor(bufnr)
  if not id then
    ui.notify("BigPicture: no finding under the cursor", levels.WARN, true)
    return
  end
  with_client(bufnr, function(client)
    run_explain(client, bufnr, id)
  end)
end

---The client id for a buffer's status: its project's; for buffers that are not files (the
---plan, help, quickfix...) the last one active; nil for files outside any project.
local function status_client(bufnr)
  local root = buf_roots[bufnr]
  if root then
    return clients[root] or false
  end
  if buf_path(bufnr) then
    return false
  end
  return status.last_client or false
end

---Statusline component: progress while a review runs, then the last summary; "BigPicture"
---when idle, "" outside a project.
function M.status(bufnr)
  local id = status_client(current(bufnr))
  if not id then
    return ""
  end
  return status.text(id)
end

---What the buffer's project server is doing: { running, title, message, percentage, last }
---(`last`: the last review's summary table), for statuslines of your own. nil outside a
---project or before the server started.
function M.state(bufnr)
  local id = status_client(current(bufnr))
  local s = id and status.by_client[id]
  return s and vim.deepcopy(s) or nil
end

---Change settings at run time: merged into the current ones and sent to every client
---(workspace/didChangeConfiguration; the server re-reads them).
function M.update_settings(settings)
  M.config.settings = vim.tbl_extend("force", M.config.settings, clean_settings(settings))
  local object = as_object(vim.deepcopy(M.config.settings))
  for _, id in pairs(clients) do
    local client = alive(id)
    if client then
      compat.set_client_settings(client, { bigpicture = object })
      compat.notify(
        client,
        "workspace/didChangeConfiguration",
        { settings = { bigpicture = object } }
      )
    end
  end
end

---The client ids, by workspace root.
function M.clients()
  local out = {}
  for root, id in pairs(clients) do
    if alive(id) then
      out[root] = id
    end
  end
  return out
end

function M.setup(opts)
  opts = opts or {}
  local config = vim.tbl_extend("force", vim.deepcopy(defaults), opts)
  config.settings = clean_settings(opts.settings)
  M.config = config

  local group = vim.api.nvim_create_augroup("bigpicture", { clear = true })
  if config.autostart then
    vim.api.nvim_create_autocmd({ "BufReadPost", "BufNewFile" }, {
      group = group,
      callback = function(args)
        M.attach(args.buf)
      end,
    })
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr) then
        M.attach(bufnr)
      end
    end
  end
  vim.api.nvim_create_autocmd("BufWipeout", {
    group = group,
    callback = function(args)
      buf_roots[args.buf] = nil
    end,
  })
end

return M
