-- The language server clients: one per project root, started for the root's file buffers (or
-- on demand by a command), and the asynchronous workspace/executeCommand requests to them.

local compat = require("bigpicture.compat")
local config = require("bigpicture.config")
local handlers = require("bigpicture.handlers")
local status = require("bigpicture.status")
local ui = require("bigpicture.ui")

local M = {}

local uv = vim.uv or vim.loop
local levels = vim.log.levels

M.NAME = "bigpicture"
local READY_TIMEOUT_MS = 20000

M.by_root = {} -- root dir -> client id
M.buf_roots = {} -- bufnr -> root dir
M.exits = {} -- root dir -> how its last server ended, when it did not end cleanly
local warned_cmd = false

function M.alive(id)
  local client = id and vim.lsp.get_client_by_id(id)
  if client and not compat.is_stopped(client) then
    return client
  end
  return nil
end

function M.buf_path(bufnr)
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= "" then
    return nil
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" then
    return nil
  end
  return name
end

function M.root_for(bufnr)
  local path = M.buf_path(bufnr)
  if path then
    return compat.find_root(path, config.options.root_markers)
  end
  return nil
end

local function on_exit(code, signal, client_id)
  for r, id in pairs(M.by_root) do
    if id == client_id then
      M.by_root[r] = nil
      if code ~= 0 or (signal and signal ~= 0 and signal ~= 15) then
        M.exits[r] =
          string.format("exited with code %s, signal %s", tostring(code), tostring(signal))
      end
    end
  end
  handlers.forget(client_id)
  status.forget(client_id)
  local exiting = vim.v.exiting ~= vim.NIL and vim.v.exiting ~= nil
  if not exiting and (code ~= 0 or (signal and signal ~= 0 and signal ~= 15)) then
    ui.notify(
      string.format(
        "BigPicture: the language server exited (code %s, signal %s); see :BigPicture log",
        tostring(code),
        tostring(signal)
      ),
      levels.ERROR
    )
  end
end

local function client_config(root)
  local opts = config.options
  local capabilities = vim.lsp.protocol.make_client_capabilities()
  if opts.capabilities then
    capabilities = vim.tbl_deep_extend("force", capabilities, opts.capabilities)
  end
  -- The plan is shown in a scratch buffer from the command's result; a second window
  -- opened by window/showDocument would be noise. Progress is asked for explicitly.
  capabilities.window = capabilities.window or {}
  capabilities.window.showDocument = { support = false }
  capabilities.window.workDoneProgress = true

  local settings = config.as_object(vim.deepcopy(opts.settings))
  return {
    name = M.NAME,
    cmd = opts.cmd,
    cmd_env = opts.cmd_env,
    root_dir = root,
    init_options = settings,
    settings = { bigpicture = settings },
    capabilities = capabilities,
    handlers = handlers.table(),
    commands = require("bigpicture.commands").lsp_commands(),
    on_attach = opts.on_attach,
    on_exit = on_exit,
  }
end

---Is the server command executable? Says so when it is not: once when attaching buffers,
---every time when `loud` (a command the user ran).
function M.cmd_available(loud)
  local cmd = config.options.cmd
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
function M.ensure(root, bufnr)
  local existing = M.alive(M.by_root[root])
  if existing and not bufnr then
    return existing.id
  end
  if not existing and not M.cmd_available() then
    return nil
  end
  local ok, id = pcall(compat.start, client_config(root), bufnr, existing and existing.id)
  if not ok or not id then
    ui.notify("BigPicture: could not start the language server: " .. tostring(id), levels.ERROR)
    return nil
  end
  M.by_root[root] = id
  M.exits[root] = nil
  if bufnr then
    M.buf_roots[bufnr] = root
  end
  return id
end

---Attach BigPicture to a buffer if it is a file in a project. Called on BufReadPost/BufNewFile.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local path = M.buf_path(bufnr)
  if not path then
    return nil
  end
  local fts = config.options.filetypes
  if fts and not vim.tbl_contains(fts, vim.bo[bufnr].filetype) then
    return nil
  end
  local root = compat.find_root(path, config.options.root_markers)
  if not root then
    return nil
  end
  return M.ensure(root, bufnr)
end

---The client serving `bufnr` (or the current directory's project), started when `start`.
---@return table|nil client, string|nil root
function M.get(bufnr, start)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local root = M.buf_roots[bufnr] or M.root_for(bufnr)
  if not root and not M.buf_path(bufnr) then
    -- Not a file (the plan buffer, a terminal...): the only running client, else the cwd's.
    local only
    for _, id in pairs(M.by_root) do
      local c = M.alive(id)
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
    root = compat.find_root(vim.fn.getcwd(), config.options.root_markers)
  end
  if not root then
    return nil, nil
  end
  local client = M.alive(M.by_root[root])
  if not client and start then
    local id = M.ensure(root, nil)
    client = id and vim.lsp.get_client_by_id(id) or nil
  end
  return client, root
end

---Call `fn(client)` once the buffer's client has finished initializing; never blocks.
function M.with(bufnr, fn)
  local client, root = M.get(bufnr, true)
  if not client then
    if not root then
      ui.notify(
        "BigPicture: not in a project (no "
          .. table.concat(config.options.root_markers, " or ")
          .. " found)",
        levels.WARN,
        true
      )
    elseif M.cmd_available(true) then
      ui.notify(
        "BigPicture: the language server could not start; see :BigPicture log",
        levels.ERROR,
        true
      )
    end
    return
  end
  local id = client.id
  local deadline = uv.now() + READY_TIMEOUT_MS
  local function try()
    local c = M.alive(id)
    if not c then
      ui.notify("BigPicture: the language server is not running; see :BigPicture log", levels.ERROR)
      return
    end
    if compat.is_initialized(c) then
      fn(c)
    elseif uv.now() > deadline then
      ui.notify(
        "BigPicture: the language server did not start in time; see :BigPicture log",
        levels.ERROR
      )
    else
      vim.defer_fn(try, 50)
    end
  end
  try()
end

---workspace/executeCommand, asynchronously; `on_result(result)` on success, `on_error(err)`
---(after the error is shown) on failure.
function M.execute(client, bufnr, command, arguments, on_result, on_error)
  local params = { command = command, arguments = arguments }
  local ok = compat.request(client, "workspace/executeCommand", params, function(err, result)
    if err then
      ui.notify(
        string.format("BigPicture: %s failed: %s", command, tostring(err.message or err)),
        levels.ERROR,
        true
      )
      if on_error then
        on_error(err)
      end
      return
    end
    if on_result then
      on_result(result)
    end
  end, bufnr)
  if not ok then
    ui.notify("BigPicture: the language server is not running", levels.ERROR)
    if on_error then
      on_error({ message = "not running" })
    end
  end
  return ok
end

---The running clients, by workspace root.
function M.list()
  local out = {}
  for root, id in pairs(M.by_root) do
    if M.alive(id) then
      out[root] = id
    end
  end
  return out
end

---The client id for a buffer's status: its project's; for buffers that are not files (the
---plan, help, quickfix...) the last one active; false for files outside any project.
function M.status_client(bufnr)
  local root = M.buf_roots[bufnr]
  if root then
    return M.by_root[root] or false
  end
  if M.buf_path(bufnr) then
    return false
  end
  return status.last_client or false
end

---Stop every BigPicture server and start them again for the buffers they served; `done(n)`
---with the number restarted.
function M.restart(done)
  local jobs = {}
  for root, id in pairs(M.by_root) do
    local c = M.alive(id)
    if c then
      local bufs = {}
      for b in pairs(c.attached_buffers or {}) do
        if vim.api.nvim_buf_is_valid(b) then
          table.insert(bufs, b)
        end
      end
      table.insert(jobs, { root = root, client = c, bufs = bufs })
      compat.stop(c)
    end
  end
  local deadline = uv.now() + 5000
  local function again()
    -- Gone, not just stopping: a client still exiting would be reused by vim.lsp.start.
    local waiting = false
    for _, j in ipairs(jobs) do
      if vim.lsp.get_client_by_id(j.client.id) ~= nil then
        waiting = true
      end
    end
    if waiting and uv.now() < deadline then
      return vim.defer_fn(again, 50)
    end
    for _, j in ipairs(jobs) do
      if vim.lsp.get_client_by_id(j.client.id) ~= nil then
        compat.stop(j.client, true)
      end
      M.by_root[j.root] = nil
      if #j.bufs == 0 then
        M.ensure(j.root, nil)
      end
      for _, b in ipairs(j.bufs) do
        M.ensure(j.root, b)
      end
    end
    if done then
      done(#jobs)
    end
  end
  vim.defer_fn(again, 0)
end

return M
