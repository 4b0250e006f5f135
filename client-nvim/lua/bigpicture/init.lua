-- BigPicture for Neovim: starts `bigpicture serve` for buffers in a project (one client per
-- workspace root), and runs its commands asynchronously. Findings arrive as diagnostics, fixes
-- as code actions; both are plain LSP, handled by Neovim itself.
--
-- Works on Neovim 0.7.2 through 0.11. See :help bigpicture. The modules:
--   config    options and settings: defaults, checks, what is sent
--   client    one language server client per project root; executeCommand requests
--   commands  what the user runs (:BigPicture ...), and code actions' client-side commands
--   handlers  progress, server messages, review summaries
--   status    what each server is doing; the statusline text; finding counts
--   ui        messages (never a hit-enter prompt), scratch buffers, floats, prompts; the log
--   health    :checkhealth bigpicture, :BigPicture info
--   compat    the differences between Neovim 0.7 and 0.11

local client = require("bigpicture.client")
local commands = require("bigpicture.commands")
local compat = require("bigpicture.compat")
local config = require("bigpicture.config")
local status = require("bigpicture.status")

local M = {}

-- The options in use (read-only view for users and tests: require("bigpicture").config).
M.config = config.options

M.review = commands.review
M.plan = commands.plan
M.cancel = commands.cancel
M.clear = commands.clear
M.dismiss = commands.dismiss
M.explain = commands.explain
M.usage = commands.usage
M.quickfix = commands.quickfix
M.info = commands.info
M.restart = commands.restart
M.log = commands.log
M.finding_at_cursor = commands.finding_at_cursor
M.attach = client.attach
M.get_client = client.get
M.clients = client.list

local function current(bufnr)
  return (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
end

---Statusline component: progress while a review runs, then the findings shown and the last
---review's cost; "BigPicture" when idle, "" outside a project.
function M.status(bufnr)
  local id = client.status_client(current(bufnr))
  if not id then
    return ""
  end
  return status.text(id)
end

---What the buffer's project server is doing: { running, title, message, percentage, last,
---counts } (`last`: the last review's summary; `counts`: the findings shown now, { total,
---bySeverity }), for statuslines of your own. nil outside a project or before the server started.
function M.state(bufnr)
  local id = client.status_client(current(bufnr))
  local s = id and status.by_client[id]
  return s and vim.deepcopy(s) or nil
end

---Change settings at run time: merged into the current ones and sent to every client
---(workspace/didChangeConfiguration; the server re-reads them).
function M.update_settings(settings)
  config.options.settings =
    vim.tbl_extend("force", config.options.settings, config.clean_settings(settings))
  local object = config.as_object(vim.deepcopy(config.options.settings))
  for _, id in pairs(client.list()) do
    local c = client.alive(id)
    if c then
      compat.set_client_settings(c, { bigpicture = object })
      compat.notify(c, "workspace/didChangeConfiguration", { settings = { bigpicture = object } })
    end
  end
end

local function on_diagnostics_changed()
  local changed = false
  for _, id in pairs(client.list()) do
    if status.recount(id) then
      changed = true
    end
  end
  if changed then
    status.changed()
  end
end

function M.setup(opts)
  local resolved = config.resolve(opts)
  -- Keep the table users hold (require("bigpicture").config) current.
  for k in pairs(config.options) do
    config.options[k] = nil
  end
  for k, v in pairs(resolved) do
    config.options[k] = v
  end

  local group = vim.api.nvim_create_augroup("bigpicture", { clear = true })
  if config.options.autostart then
    vim.api.nvim_create_autocmd({ "BufReadPost", "BufNewFile" }, {
      group = group,
      callback = function(args)
        client.attach(args.buf)
      end,
    })
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr) then
        client.attach(bufnr)
      end
    end
  end
  vim.api.nvim_create_autocmd("BufWipeout", {
    group = group,
    callback = function(args)
      client.buf_roots[args.buf] = nil
    end,
  })
  -- Finding counts follow fixes, dismissals, clears and edits (DiagnosticChanged: 0.7+).
  vim.api.nvim_create_autocmd("DiagnosticChanged", {
    group = group,
    callback = on_diagnostics_changed,
  })
end

return M
