-- Messages as a user sees them, with Neovim's own vim.notify (an echo) and a UI attached (the
-- test watches the screen for "Press ENTER"): a review that succeeds, then one that fails, then
-- (with `retry`) :BigPicture retry, which sends the failed one again.
-- Neovim stays idle between steps (timers, no vim.wait), as it is while a user waits.
local T = dofile(vim.fn.fnamemodify(debug.getinfo(1, "S").source:sub(2), ":h") .. "/lib.lua")
local I = T.input

local bp, buf
local function messages()
  local out = {}
  for _, line in ipairs(vim.split(vim.fn.execute("messages"), "\n", { plain = true })) do
    if line ~= "" then
      table.insert(out, line)
    end
  end
  return out
end

local function last_status()
  local s = bp.state(buf)
  return s and not s.running and s.last and s.last.status or nil
end

vim.o.cmdheight = 1
T.run_async({
  {
    name = "setup",
    ["then"] = function()
      bp = T.setup_plugin()
      buf = T.open(I.file)
    end,
  },
  {
    name = "client ready",
    ms = 15000,
    ["until"] = function()
      local c = T.client()
      return c ~= nil and c.initialized == true and vim.lsp.buf_is_attached(buf, c.id)
    end,
    ["then"] = function()
      vim.cmd("messages clear")
      vim.cmd("BigPicture review")
    end,
  },
  {
    name = "first review",
    ["until"] = function()
      -- (and the summary's echo, scheduled after the status is set)
      return last_status() ~= nil
        and #T.bp_diagnostics(buf) == I.expect_findings
        and #messages() >= 1
    end,
    ["then"] = function()
      T.out.first =
        { status = last_status(), messages = messages(), mode = vim.api.nvim_get_mode() }
      -- A file review: another request (the same workspace review would come from the cache).
      vim.cmd("BigPicture file")
    end,
  },
  {
    name = "second review (fails)",
    ["until"] = function()
      -- the summary's echo is scheduled (vim.schedule) after the status is set: wait for it
      return last_status() == "failed" and #messages() >= 2
    end,
    ["then"] = function()
      T.out.second = {
        messages = messages(),
        mode = vim.api.nvim_get_mode(),
        statusline = bp.status(buf),
        diagnostics = #T.bp_diagnostics(buf),
      }
      T.out.log = T.log_entries()
      T.out.echospace = vim.v.echospace
      if I.retry then
        vim.cmd("BigPicture retry")
      end
    end,
  },
  {
    -- :BigPicture retry sends the failed review again (a file review), which now succeeds.
    name = "retried review",
    ["until"] = function()
      return not I.retry or (last_status() == "ok" and #messages() >= 3)
    end,
    ["then"] = function()
      if I.retry then
        T.out.retried = {
          messages = messages(),
          statusline = bp.status(buf),
          diagnostics = #T.bp_diagnostics(buf),
          last = bp.state(buf).last,
        }
      end
    end,
  },
  {
    -- Give a prompt, if any, the time to show: the next step waits for a redraw cycle.
    name = "idle",
    ["until"] = function()
      return true
    end,
    ["then"] = function()
      T.out.mode_at_end = vim.api.nvim_get_mode()
    end,
  },
})
