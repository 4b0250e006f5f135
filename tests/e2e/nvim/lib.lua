-- Shared by the Lua drivers: read the test's input, capture messages, wait, write results.
--
-- The pytest side starts `nvim --headless -u NONE -i NONE -n -c "luafile <driver>"` with
-- BP_TEST_INPUT (a JSON file of parameters) and BP_TEST_OUTPUT (where results go) in the
-- environment. Nvim's own messages go to stdout, so results go only to the JSON file.

local M = {}

local function read_json(path)
  local f = assert(io.open(path, "r"))
  local text = f:read("*a")
  f:close()
  return vim.fn.json_decode(text)
end

-- BP_TEST_LSP_LOG=debug keeps every LSP message in $XDG_STATE_HOME/nvim/lsp.log (debugging).
if os.getenv("BP_TEST_LSP_LOG") then
  vim.lsp.set_log_level(os.getenv("BP_TEST_LSP_LOG"))
end

M.input = read_json(assert(os.getenv("BP_TEST_INPUT"), "BP_TEST_INPUT not set"))
M.out = { notes = {}, steps = {} }

-- Every message the plugin shows, in order (unless the test is about Neovim's own vim.notify).
if not M.input.builtin_notify then
  vim.notify = function(msg, level, _)
    table.insert(M.out.notes, { msg = tostring(msg), level = level or vim.log.levels.INFO })
  end
end

function M.setup_plugin(settings, extra)
  vim.opt.runtimepath:prepend(M.input.plugin_dir)
  vim.cmd("runtime plugin/bigpicture.lua")
  local opts = { cmd = M.input.cmd, settings = settings or M.input.settings or {} }
  for k, v in pairs(extra or {}) do
    opts[k] = v
  end
  require("bigpicture").setup(opts)
  return require("bigpicture")
end

-- Every wait's `ms` is a ceiling, not an expectation: scaled up so that a loaded 2-core CI
-- machine (where starting a server has taken 10 s) does not fail a step that would pass.
M.WAIT_SCALE = 3

---Wait for `pred`, recording the step's name, whether it held, and how long it took.
function M.wait(name, ms, pred)
  local start = vim.loop.hrtime()
  local ok = vim.wait(ms * M.WAIT_SCALE, pred, 50)
  table.insert(M.out.steps, {
    name = name,
    ok = ok and true or false,
    ms = math.floor((vim.loop.hrtime() - start) / 1e6),
  })
  if not ok then
    error("timed out waiting for: " .. name, 0)
  end
end

function M.bp_diagnostics(bufnr)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.source == "bigpicture" then
      local lsp = d.user_data and d.user_data.lsp or {}
      table.insert(out, {
        lnum = d.lnum,
        col = d.col,
        end_lnum = d.end_lnum,
        end_col = d.end_col,
        severity = d.severity,
        message = d.message,
        code = d.code,
        id = type(lsp.data) == "table" and lsp.data.id or nil,
        fix = type(lsp.data) == "table" and lsp.data.fix or nil,
      })
    end
  end
  table.sort(out, function(a, b)
    return a.lnum < b.lnum or (a.lnum == b.lnum and a.col < b.col)
  end)
  return out
end

function M.has_note(pattern)
  for _, n in ipairs(M.out.notes) do
    if n.msg:find(pattern) then
      return n
    end
  end
  return nil
end

---Wait for a message shown after `since` (an index into out.notes) matching `pattern`.
function M.wait_note(name, ms, since, pattern)
  local found
  M.wait(name, ms, function()
    for i = since + 1, #M.out.notes do
      if M.out.notes[i].msg:find(pattern) then
        found = M.out.notes[i].msg
        return true
      end
    end
    return false
  end)
  return found
end

---Like wait, but stop at once when a review ends unexpectedly (status not in `ok_statuses`,
---default { "ok" }), with the review's own message: a broken server fails fast and clearly.
function M.wait_review(name, ms, bp, bufnr, pred, ok_statuses)
  ok_statuses = ok_statuses or { ok = true }
  local failed
  M.wait(name, ms, function()
    local s = bp.state(bufnr)
    if s and s.last and not s.running and not ok_statuses[s.last.status] then
      failed = s.last
      return true
    end
    return pred()
  end)
  if failed then
    error(
      string.format(
        "%s: the review ended %s: %s",
        name,
        tostring(failed.status),
        tostring(failed.message)
      ),
      0
    )
  end
end

---Has the buffer's server finished a review of `kind` (and no other runs)?
function M.finished(bp, bufnr, kind)
  local s = bp.state(bufnr)
  return s ~= nil and not s.running and s.last ~= nil and s.last.kind == kind
end

function M.client()
  local clients = require("bigpicture").clients()
  local _, id = next(clients)
  return id and vim.lsp.get_client_by_id(id) or nil
end

function M.open(path)
  if path:sub(1, 1) ~= "/" then
    path = M.input.workspace .. "/" .. path
  end
  vim.cmd("edit " .. vim.fn.fnameescape(path))
  return vim.api.nvim_get_current_buf()
end

function M.buffer_text(bufnr)
  return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n")
end

---The text of the plugin's scratch buffer `name` (bigpicture://plan...), waited for; and
---whether it is shown, read-only.
function M.scratch(name, ms)
  M.wait(name, ms or 10000, function()
    local b = vim.fn.bufnr(name)
    return b ~= -1 and #M.buffer_text(b) > 0
  end)
  local b = vim.fn.bufnr(name)
  return {
    text = M.buffer_text(b),
    filetype = vim.bo[b].filetype,
    buftype = vim.bo[b].buftype,
    modifiable = vim.bo[b].modifiable,
    shown = vim.fn.bufwinid(b) ~= -1,
  }
end

function M.float_text()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= "" then
      local buf = vim.api.nvim_win_get_buf(win)
      return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
    end
  end
  return nil
end

function M.close_floats()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= "" then
      vim.api.nvim_win_close(win, true)
    end
  end
end

---The plugin's log (what :BigPicture log shows), as { source, text } entries.
function M.log_entries()
  local out = {}
  for _, e in ipairs(require("bigpicture.ui").history) do
    table.insert(out, { source = e.source, level = e.level, text = e.text })
  end
  return out
end

function M.wait_ready(buf)
  M.wait("client ready", 15000, function()
    local c = M.client()
    return c ~= nil and c.initialized == true and vim.lsp.buf_is_attached(buf, c.id)
  end)
  return M.client()
end

local function write()
  M.out.version = vim.version()
  M.out.version.api_prerelease = nil
  local f = assert(io.open(os.getenv("BP_TEST_OUTPUT"), "w"))
  f:write(vim.fn.json_encode(M.out))
  f:close()
end

---Run `steps` one after another without blocking the editor: each step is
---{ name, ms, until = predicate (polled from timers, back in the main loop between polls),
---then = function }; `then` runs once `until` holds. Results are written and Neovim quits
---after the last step, or at the first failure or time-out. For tests of what a user sees
---while Neovim is idle (messages, prompts), which vim.wait would hide.
function M.run_async(steps)
  local function finish(err)
    if err then
      M.out.error = tostring(err)
    end
    pcall(write)
    vim.cmd("qall!")
  end
  local function step(i)
    local s = steps[i]
    if not s then
      return finish(nil)
    end
    local start = vim.loop.now()
    local function poll()
      local ok, held = pcall(s["until"] or function()
        return true
      end)
      if not ok then
        return finish(held)
      end
      if held then
        table.insert(M.out.steps, { name = s.name, ok = true, ms = vim.loop.now() - start })
        local ok2, err = xpcall(s["then"] or function() end, debug.traceback)
        if not ok2 then
          return finish(err)
        end
        return vim.defer_fn(function()
          step(i + 1)
        end, 0)
      end
      if vim.loop.now() - start > (s.ms or 20000) then
        table.insert(M.out.steps, { name = s.name, ok = false, ms = vim.loop.now() - start })
        return finish("timed out waiting for: " .. s.name)
      end
      vim.defer_fn(poll, 50)
    end
    poll()
  end
  vim.defer_fn(function()
    step(1)
  end, 0)
end

---Run the driver's body, write the results whatever happens, and quit.
function M.run(body)
  local ok, err = xpcall(body, debug.traceback)
  if not ok then
    M.out.error = tostring(err)
  end
  pcall(write)
  vim.cmd("qall!")
end

return M
